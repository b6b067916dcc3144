"""The embedded emulator's one fix (covid_etl/emulator.py): a DynamoDB transaction backs each table
up once, and still rolls back whole when one of its conditions fails."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from tests.conftest import DUMMY_AWS, Emulator


@pytest.fixture
def table(emulator: Emulator) -> tuple[Any, str]:
    client = boto3.client("dynamodb", endpoint_url=emulator.endpoint, region_name="us-east-1",
                          aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"])
    name = f"emulator-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": f"old{i}"}}}}
                                                 for i in range(25)]})
    return client, name


def put(name: str, pk: str, **condition: Any) -> dict[str, Any]:
    return {"Put": {"TableName": name, "Item": {"pk": {"S": pk}, "v": {"S": "new"}}, **condition}}


def test_a_transaction_copies_the_table_once(table: tuple[Any, str], monkeypatch: pytest.MonkeyPatch) -> None:
    client, name = table
    copied: list[str] = []
    deepcopy = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            copied.append(value.name)
        return deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    client.transact_write_items(TransactItems=[put(name, f"new{i}") for i in range(25)])
    assert copied == [name]  # moto itself copies it 25 times
    client.transact_write_items(TransactItems=[put(name, "again")])
    assert copied == [name, name]  # a new transaction, a new backup: none is reused


def test_a_failed_condition_still_rolls_the_whole_transaction_back(table: tuple[Any, str]) -> None:
    client, name = table
    clash = put(name, "old3", ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as failed:
        client.transact_write_items(TransactItems=[put(name, "new0"), put(name, "old1"), clash, put(name, "new1")])
    assert failed.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = {i["pk"]["S"]: i for i in client.scan(TableName=name)["Items"]}
    assert sorted(items) == sorted(f"old{i}" for i in range(25))  # no put of the four was kept
    assert "v" not in items["old1"]
