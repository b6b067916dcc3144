"""Reading the daily series and the run ledger from DynamoDB (Queries on the key, never a Scan)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from shared import aws
from shared.ledger import SERIES_PK, plain


class SeriesReader:
    def __init__(self, table_name: str, resource: Any | None = None) -> None:
        self.table = (resource or aws.resource("dynamodb")).Table(table_name)

    def daily(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(SERIES_PK)}
        while True:
            page = self.table.query(**kwargs)
            rows.extend({"date": i["date"], "cases": plain(i["cases"]), "deaths": plain(i["deaths"]),
                         "recovered": plain(i.get("recovered"))} for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return rows
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
