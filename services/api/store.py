"""The API's read port and its DynamoDB adapter: Queries on the key and GetItems, never a Scan."""

from __future__ import annotations

from typing import Any, Protocol

from boto3.dynamodb.conditions import Key

from shared import aws
from shared.ledger import SERIES_PK, RunLedger, plain
from shared.runs import DailyRow, Run

Row = dict[str, Any]


class Store(Protocol):
    """What the API reads. DynamoStore in production; an in-memory fake in unit tests."""

    def dataset_version(self) -> Row | None:
        """The `meta/dataset` item (its `version` is the run id of the last load), or None."""

    def daily(self) -> list[DailyRow]:
        """Every day of the series: date, cases, deaths, recovered (None when unknown)."""

    def sources(self) -> dict[str, Row]:
        """The last loaded version of each source, by name."""

    def runs(self, limit: int) -> list[Run]:
        """The newest `limit` runs, newest first."""

    def run(self, run_id: str) -> Run | None:
        """One run, or None."""

    def ping(self) -> None:
        """Raise if the table cannot be reached."""


class DynamoStore:
    """Reads the single table (layout in shared/ledger.py)."""

    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self.table = (resource or aws.resource("dynamodb")).Table(table_name)
        self.ledger = RunLedger(table_name, resource or aws.resource("dynamodb"))

    def dataset_version(self) -> Row | None:
        return self.ledger.dataset_version()

    def daily(self) -> list[DailyRow]:
        rows: list[DailyRow] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(SERIES_PK),
            # Only the fields the API shows: smaller pages, fewer round trips.
            "ProjectionExpression": "#d, cases, deaths, recovered",
            "ExpressionAttributeNames": {"#d": "date"},
        }
        while True:
            page = self.table.query(**kwargs)
            rows.extend({"date": i["date"], "cases": plain(i.get("cases")), "deaths": plain(i.get("deaths")),
                         "recovered": plain(i.get("recovered"))} for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return rows
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def sources(self) -> dict[str, Row]:
        return self.ledger.source_versions()

    def runs(self, limit: int) -> list[Run]:
        return self.ledger.recent(limit)

    def run(self, run_id: str) -> Run | None:
        return self.ledger.get(run_id)

    def ping(self) -> None:
        # DescribeTable would need extra IAM rights; a GetItem is what the API does anyway.
        self.table.get_item(Key={"pk": "meta", "sk": "dataset"}, ProjectionExpression="pk")
