"""The daily series in DynamoDB: read it whole (one Query), write only what changed."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from shared import aws
from shared.ledger import META_PK, SERIES_PK, SOURCE_PK, now_iso, plain

BATCH = 25
_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


class SeriesRepository:
    """Rows keyed `pk=series#US, sk=<date>`; `recovered` absent means null."""

    def __init__(self, table_name: str, client: Any | None = None, max_attempts: int = 10) -> None:
        self.table_name = table_name
        self.client = client or aws.client("dynamodb")
        self.max_attempts = max_attempts

    def current(self) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": SERIES_PK}},
        }
        while True:
            page = self.client.query(**kwargs)
            for item in page["Items"]:
                row = {k: plain(_deserialize(v)) for k, v in item.items()}
                rows[row["sk"]] = row
            if "LastEvaluatedKey" not in page:
                return rows
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def write(self, rows: Sequence[dict[str, Any]], run_id: str) -> None:
        """BatchWriteItem in chunks of 25; UnprocessedItems are retried with backoff and jitter."""
        stamp = now_iso()
        for start in range(0, len(rows), BATCH):
            requests = [{"PutRequest": {"Item": self._item(r, run_id, stamp)}} for r in rows[start:start + BATCH]]
            self._batch(requests)

    def _batch(self, requests: list[dict[str, Any]]) -> None:
        pending = {self.table_name: requests}
        for attempt in range(self.max_attempts):
            response = self.client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(min(5.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))
        raise RuntimeError(f"DynamoDB left {len(pending[self.table_name])} items unprocessed "
                           f"after {self.max_attempts} attempts")

    @staticmethod
    def _item(row: dict[str, Any], run_id: str, stamp: str) -> dict[str, Any]:
        item = {"pk": SERIES_PK, "sk": row["date"], "date": row["date"], "cases": row["cases"],
                "deaths": row["deaths"], "run_id": run_id, "updated_at": stamp}
        if row.get("recovered") is not None:
            item["recovered"] = row["recovered"]
        return {k: _serialize(v) for k, v in item.items()}

    def commit_versions(self, sources: list[dict[str, Any]], dataset: dict[str, Any]) -> None:
        """Record the source versions and the dataset version this load made current."""
        for source in sources:
            self._put({"pk": SOURCE_PK, "sk": source["name"], **source, "loaded_at": now_iso()})
        self._put({"pk": META_PK, "sk": "dataset", **dataset, "loaded_at": now_iso()})

    def _put(self, item: dict[str, Any]) -> None:
        clean = {k: _serialize(v) for k, v in item.items() if v is not None}
        self.client.put_item(TableName=self.table_name, Item=clean)

