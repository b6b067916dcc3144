"""The embedded emulator's one fix (covid_etl/local/moto_transactions.py): a DynamoDB transaction copies no
table, and a cancelled one puts back exactly the items it touched (and nothing else), on hash-only and
hash+range tables, with moto's errors and cancellation reasons."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.table import Table

from tests.conftest import DUMMY_AWS, Emulator

SCHEMAS = ["hash", "hash+range"]


def client(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"])


class Dynamo:
    """A table of `old0`... items (`v` and an indexed `g`, both "old"), in one of the two schemas;
    with a range key, the items share two partitions."""

    def __init__(self, endpoint: str, schema: str, items: int = 25) -> None:
        self.client = client(endpoint)
        self.name, self.ranged = f"emulator-{uuid.uuid4().hex[:8]}", schema == "hash+range"
        keys = [("pk", "HASH")] + ([("sk", "RANGE")] if self.ranged else [])
        self.client.create_table(
            TableName=self.name, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": a, "KeyType": t} for a, t in keys],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in [k for k, _ in keys] + ["g"]],
            GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                     "Projection": {"ProjectionType": "ALL"}}])
        for start in range(0, items, 25):
            self.client.batch_write_item(RequestItems={self.name: [
                {"PutRequest": {"Item": self.item(f"old{i}", "old")}} for i in range(start, min(start + 25, items))]})

    def key(self, name: str) -> dict[str, Any]:
        if not self.ranged:
            return {"pk": {"S": name}}
        return {"pk": {"S": f"part{int(name[-1]) % 2}"}, "sk": {"S": name}}

    def item(self, name: str, v: str) -> dict[str, Any]:
        return {**self.key(name), "v": {"S": v}, "g": {"S": v}}

    def put(self, name: str, **extra: Any) -> dict[str, Any]:
        return {"Put": {"TableName": self.name, "Item": self.item(name, "new"), **extra}}

    def update(self, name: str) -> dict[str, Any]:
        return {"Update": {"TableName": self.name, "Key": self.key(name),
                           "UpdateExpression": "SET v = :v, g = :v, x = :v",
                           "ExpressionAttributeValues": {":v": {"S": "new"}}}}

    def delete(self, name: str) -> dict[str, Any]:
        return {"Delete": {"TableName": self.name, "Key": self.key(name)}}

    def items(self) -> list[dict[str, Any]]:
        return sorted(self.client.scan(TableName=self.name)["Items"], key=repr)

    def indexed(self, g: str) -> int:
        return int(self.client.query(TableName=self.name, IndexName="by-g", KeyConditionExpression="g = :g",
                                     ExpressionAttributeValues={":g": {"S": g}})["Count"])

    def writes(self) -> list[dict[str, Any]]:
        """A new key put, an item overwritten, one updated, one deleted, a new key created by an update."""
        return [self.put("new0"), self.put("old1"), self.update("old2"), self.delete("old3"), self.update("new1")]


@pytest.fixture(params=SCHEMAS)
def dynamo(emulator: Emulator, request: pytest.FixtureRequest) -> Dynamo:
    return Dynamo(emulator.endpoint, request.param)


def copies(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every object `copy.deepcopy` is called on from now on (moto's models call it through `copy`)."""
    copied: list[Any] = []
    deepcopy = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        copied.append(value)
        return deepcopy(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    return copied


def test_a_transaction_copies_no_table_whatever_its_size(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = Dynamo(emulator.endpoint, "hash+range", 25), Dynamo(emulator.endpoint, "hash+range", 500)
    copied = copies(monkeypatch)
    counts = []
    for dynamo in (small, large):
        before = len(copied)
        dynamo.client.transact_write_items(TransactItems=[dynamo.put(f"old{i}") for i in range(10, 20)]
                                           + [dynamo.put(f"new{i}") for i in range(2, 10)] + dynamo.writes())
        counts.append(len(copied) - before)
    assert not [value for value in copied if isinstance(value, Table)]  # moto copies each table once per action
    assert counts[0] == counts[1] > 0  # the two updates' items: the same work on 25 items as on 500
    assert len(large.items()) == 500 + 8 + 2 - 1


def test_a_failed_condition_on_the_last_action_puts_back_every_item_it_touched(
        dynamo: Dynamo, monkeypatch: pytest.MonkeyPatch) -> None:
    before = dynamo.items()
    copied = copies(monkeypatch)
    clash = dynamo.put("old4", ConditionExpression="attribute_not_exists(v)",
                       ReturnValuesOnConditionCheckFailure="ALL_OLD")
    check = {"ConditionCheck": {"TableName": dynamo.name, "Key": dynamo.key("old5"),
                                "ConditionExpression": "attribute_exists(v)"}}
    with pytest.raises(ClientError) as failed:
        dynamo.client.transact_write_items(TransactItems=[*dynamo.writes(), check, clash])
    assert failed.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = failed.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None"] * 6 + ["ConditionalCheckFailed"]
    assert reasons[-1]["Item"] == dynamo.item("old4", "old")
    assert dynamo.items() == before  # the new keys gone, the overwritten, updated and deleted items back
    assert (dynamo.indexed("new"), dynamo.indexed("old")) == (0, 25)  # the index follows the items
    assert not [value for value in copied if isinstance(value, Table)]


@pytest.mark.parametrize("failure", ["a key of the wrong type", "a key written twice"])
def test_a_validation_error_midway_puts_back_what_went_before(dynamo: Dynamo, failure: str) -> None:
    before = dynamo.items()
    wrong = dynamo.put("new2")
    wrong["Put"]["Item"]["pk"] = {"N": "2"}
    invalid = wrong if failure == "a key of the wrong type" else dynamo.delete("old1")
    with pytest.raises(ClientError) as failed:
        dynamo.client.transact_write_items(TransactItems=[*dynamo.writes(), invalid, dynamo.put("new3")])
    assert failed.value.response["Error"]["Code"] == "ValidationException"
    assert dynamo.items() == before


def test_more_than_100_actions_are_refused(dynamo: Dynamo) -> None:
    before = dynamo.items()
    with pytest.raises(ClientError) as failed:
        dynamo.client.transact_write_items(TransactItems=[dynamo.put(f"new{i}") for i in range(101)])
    assert failed.value.response["Error"]["Code"] == "ValidationException"
    assert dynamo.items() == before


def test_a_rollback_keeps_what_others_wrote_meanwhile(
        emulator: Emulator, dynamo: Dynamo, monkeypatch: pytest.MonkeyPatch) -> None:
    """While the transaction is between two actions, another client writes two items it does not
    touch (the server serves it on another thread); the transaction's rollback keeps both."""
    other = client(emulator.endpoint)  # a client of its own, for the other thread
    put_item = Table.put_item

    def meanwhile(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if self.name == dynamo.name and item_attrs == dynamo.item("old1", "new"):
            writer = threading.Thread(target=lambda: [
                other.put_item(TableName=dynamo.name, Item=dynamo.item("new9", "other")),
                other.put_item(TableName=dynamo.name, Item=dynamo.item("old7", "other"))])
            writer.start()
            writer.join(timeout=10)
        return put_item(self, item_attrs, *args, **kwargs)

    monkeypatch.setattr(Table, "put_item", meanwhile)
    clash = dynamo.put("old4", ConditionExpression="attribute_not_exists(v)")
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamo.client.transact_write_items(TransactItems=[*dynamo.writes(), clash])
    items = {repr(dynamo.key(i["sk" if dynamo.ranged else "pk"]["S"])): i["v"]["S"] for i in dynamo.items()}
    assert items.pop(repr(dynamo.key("new9"))) == "other"
    assert items.pop(repr(dynamo.key("old7"))) == "other"
    assert items == {repr(dynamo.key(f"old{i}")): "old" for i in range(25) if i != 7}


def test_a_cancelled_transaction_leaves_no_stream_records(emulator: Emulator) -> None:
    dynamo, name = client(emulator.endpoint), f"emulator-{uuid.uuid4().hex[:8]}"
    arn = dynamo.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                              KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                              StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                              )["TableDescription"]["LatestStreamArn"]
    dynamo.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": {"pk": {"S": "kept"}}}}])
    with pytest.raises(ClientError, match="TransactionCanceled"):
        dynamo.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "dropped"}}}},
            {"Delete": {"TableName": name, "Key": {"pk": {"S": "kept"}}}},
            {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "absent"}},
                                "ConditionExpression": "attribute_exists(pk)"}}])
    streams = boto3.client("dynamodbstreams", endpoint_url=emulator.endpoint, region_name="us-east-1",
                           aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"])
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [("INSERT", "kept")]


RICH = {"s": {"S": "x"}, "n": {"N": "-1.5e3"}, "t": {"BOOL": True}, "null": {"NULL": True}, "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"\x01"]}, "empty": {"M": {}},
        "m": {"M": {"deep": {"M": {"l": {"L": [{"S": "y"}, {"N": "2"}, {"M": {"bin": {"B": b"z"}}}]}}}}},
        "runs": {"L": [{"M": {"status": {"S": "succeeded"}, "ms": {"N": "27"}}}, {"L": []}]}}


def test_responses_are_the_bytes_moto_writes(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each response body, with attribute values written as they are, equals moto's own serializer's."""
    from moto.core.serialize import BaseJSONSerializer

    patched = BaseJSONSerializer._serialize_type_structure
    assert getattr(patched, "attribute_values_as_they_are", False)
    dynamo = Dynamo(emulator.endpoint, "hash+range", items=4)
    plain, binary = {**dynamo.key("old0"), **{k: v for k, v in RICH.items() if k not in ("b", "bs", "m")}}, {
        **dynamo.key("old1"), **RICH}
    for item in (plain, binary):
        dynamo.client.put_item(TableName=dynamo.name, Item=item)
    name, bodies = dynamo.name, []
    dynamo.client.meta.events.register("before-parse.dynamodb.*",
                                       lambda response_dict, **_: bodies.append(response_dict["body"]))
    calls = [
        lambda: dynamo.client.get_item(TableName=name, Key=dynamo.key("old0")),
        lambda: dynamo.client.get_item(TableName=name, Key=dynamo.key("old1")),
        lambda: dynamo.client.query(TableName=name, KeyConditionExpression="pk = :p",
                                    ExpressionAttributeValues={":p": dynamo.key("old1")["pk"]}),
        lambda: dynamo.client.scan(TableName=name),
        lambda: dynamo.client.batch_get_item(RequestItems={name: {"Keys": [dynamo.key("old0"), dynamo.key("old1")]}}),
        lambda: dynamo.client.update_item(TableName=name, Key=dynamo.key("old1"), UpdateExpression="SET s = :s",
                                          ExpressionAttributeValues={":s": {"S": "x"}}, ReturnValues="ALL_NEW"),
        lambda: dynamo.client.transact_get_items(TransactItems=[{"Get": {"TableName": name,
                                                                          "Key": dynamo.key("old0")}}]),
    ]
    cancelled = {"TransactItems": [{"ConditionCheck": {
        "TableName": name, "Key": dynamo.key(k), "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}} for k in ("old0", "old1")]}
    for call in calls:
        call()
        monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", patched.original)  # type: ignore[attr-defined]
        call()
        monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", patched)
        fast, moto = bodies[-2:]
        assert fast == moto
    for original in (False, True):
        if original:
            monkeypatch.setattr(BaseJSONSerializer, "_serialize_type_structure", patched.original)  # type: ignore[attr-defined]
        with pytest.raises(ClientError) as error:
            dynamo.client.transact_write_items(**cancelled)
        assert error.value.response["Error"]["Code"] == "TransactionCanceledException"
    fast, moto = bodies[-2:]
    assert fast == moto and b'"Item"' in fast


def test_the_server_finds_each_hosts_service_once(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's server listed its package folder and tried its URL patterns on every request."""
    import os

    import moto
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    listed: list[str] = []
    listdir, lookup = os.listdir, DomainDispatcherApplication.get_backend_for_host
    package = os.path.dirname(moto.__file__)

    def counted(path: Any = ".") -> list[str]:
        if str(path) == package:
            listed.append(path)
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counted)
    kwargs = {"endpoint_url": emulator.endpoint, "region_name": "us-east-1",
              "aws_access_key_id": DUMMY_AWS["AWS_ACCESS_KEY_ID"],
              "aws_secret_access_key": DUMMY_AWS["AWS_SECRET_ACCESS_KEY"]}
    dynamodb, sqs, s3 = (boto3.client(name, **kwargs) for name in ("dynamodb", "sqs", "s3"))
    for round_ in range(4):  # each answers as its own service
        assert "TableNames" in dynamodb.list_tables()
        assert "ResponseMetadata" in sqs.list_queues()
        assert "Buckets" in s3.list_buckets()
        if round_ == 0:
            listed.clear()  # moto lists its folder when it first builds a service's app
    assert listed == [] and getattr(lookup, "remembered", False)
