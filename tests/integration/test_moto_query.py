"""The emulator's Query reads one partition (covid_etl.local.moto_query) and answers as DynamoDB does:
key conditions, order, pages, projections, an absent partition."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from shared.dynamo import Table

TABLE = "moto-query"


@pytest.fixture
def table(aws_env: Any) -> Table:
    client = boto3.client("dynamodb", endpoint_url=aws_env.endpoint, region_name="us-east-1")
    if TABLE in client.list_tables()["TableNames"]:
        client.delete_table(TableName=TABLE)
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    found = Table(TABLE, client)
    for pk in ("a", "b", "c"):
        for day in (5, 1, 3, 2, 4):  # written out of order
            found.put({"pk": pk, "sk": f"2020-03-0{day}#{pk}", "n": day, "other": "x"})
    return found


def query(table: Table, **extra: Any) -> list[dict[str, Any]]:
    return table.client.query(TableName=TABLE, **extra)["Items"]  # type: ignore[return-value]


def test_a_partitions_items_in_order_and_no_other(table: Table) -> None:
    assert [i["sk"] for i in table.query("b")] == [f"2020-03-0{d}#b" for d in range(1, 6)]
    assert [i["n"] for i in table.query("c", newest_first=True)] == [5, 4, 3, 2, 1]
    assert list(table.query("nothing")) == []
    assert table.client.scan(TableName=TABLE)["Count"] == 15  # querying a missing partition created none


def test_key_conditions_pages_and_projections(table: Table) -> None:
    prefix = query(table, KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                   ExpressionAttributeValues={":pk": {"S": "a"}, ":p": {"S": "2020-03-03"}})
    assert [i["sk"]["S"] for i in prefix] == ["2020-03-03#a"]
    between = query(table, KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
                    ExpressionAttributeValues={":pk": {"S": "b"}, ":lo": {"S": "2020-03-02"},
                                               ":hi": {"S": "2020-03-04"}},
                    ProjectionExpression="n")
    assert between == [{"n": {"N": "2"}}, {"n": {"N": "3"}}]
    first = table.client.query(TableName=TABLE, KeyConditionExpression="pk = :pk",
                               ExpressionAttributeValues={":pk": {"S": "a"}}, Limit=2)
    assert [i["n"]["N"] for i in first["Items"]] == ["1", "2"]
    assert first["LastEvaluatedKey"]["sk"]["S"] == "2020-03-02#a"
    rest = query(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "a"}},
                 ExclusiveStartKey=first["LastEvaluatedKey"])
    assert [i["n"]["N"] for i in rest] == ["3", "4", "5"]
