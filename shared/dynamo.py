"""The one DynamoDB idiom of the code base: the low-level client, plain Python values in and out.

Every module that reads or writes the table goes through `Table`. It uses the low-level client
(thread-safe, unlike boto3's resource `Table`) with boto3's own type serialiser, and does the
number conversion here and nowhere else: floats go in as Decimal, numbers come out as int or float,
and map entries whose value is None are left out. Conditions are expression strings whose values
are plain Python; a failed condition is `ConditionFailed`.

A write that meets a transaction in flight on the same item is rejected with a transaction
conflict (`TransactionConflictException` for a single write, a `TransactionCanceledException`
whose reason is `TransactionConflict` for a transaction): nothing was written, and botocore does not
retry it. `Table` does, a few times with jitter; a failed condition is never retried (it is the
answer, e.g. a lost fence).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypedDict, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from shared import aws
from shared.clock import SYSTEM, Clock

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_dynamodb.type_defs import (
        GetItemInputTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
        UpdateItemInputTypeDef,
    )

Item = dict[str, Any]
CONFLICT_TRIES = 5  # tries of a write that meets a transaction in flight, with 1.5 s of waits at most
CONFLICT_WAIT_S = 0.05
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()
P = ParamSpec("P")
R = TypeVar("R")


class Expression(TypedDict, total=False):
    """A write's condition, as the client takes it."""

    ConditionExpression: str
    ExpressionAttributeValues: Item
    ExpressionAttributeNames: dict[str, str]


class ConditionFailed(Exception):
    """A write's condition did not hold; in a transaction, `failed` holds the indexes of the actions
    whose condition did not."""

    def __init__(self, message: str, failed: list[int] | None = None) -> None:
        super().__init__(message)
        self.failed = failed or []


def to_dynamo(value: object) -> object:
    """A plain value as DynamoDB takes it: floats as Decimal, None-valued map entries dropped."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: to_dynamo(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_dynamo(v) for v in value]
    return value


def plain(value: object) -> object:
    """DynamoDB's Decimals back to ints and floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def serialize(item: Mapping[str, object]) -> Item:
    return {k: _serializer.serialize(to_dynamo(v)) for k, v in item.items() if v is not None}


def deserialize(item: Mapping[str, object]) -> Item:
    return {k: plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _is(error: ClientError, reason: str) -> bool:
    """Whether a single write failed for `reason` (its error code is `reason` + "Exception"), or a
    transaction was cancelled for it."""
    code = error.response["Error"]["Code"]
    reasons = error.response.get("CancellationReasons") or []
    return code == f"{reason}Exception" or (
        code == "TransactionCanceledException" and any(r.get("Code") == reason for r in reasons))


def _failed(error: ClientError) -> bool:
    return _is(error, "ConditionalCheckFailed")


def _conflict(error: ClientError) -> bool:
    return _is(error, "TransactionConflict")


def _expression(condition: str | None, values: Mapping[str, object] | None,
                names: Mapping[str, str] | None) -> Expression:
    out: Expression = {}
    if condition:
        out["ConditionExpression"] = condition
    if values:
        out["ExpressionAttributeValues"] = serialize(values)
    if names:
        out["ExpressionAttributeNames"] = dict(names)
    return out


class Table:
    """One table keyed `pk` (partition) and `sk` (sort), both strings."""

    def __init__(self, name: str, client: DynamoDBClient | None = None, clock: Clock = SYSTEM) -> None:
        self.name = name
        self.client = client or aws.client("dynamodb")
        self.clock = clock  # waits between the tries of a conflicting write

    @staticmethod
    def key(pk: str, sk: str) -> Item:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def get(self, pk: str, sk: str, *, projection: str | None = None,
            names: Mapping[str, str] | None = None) -> Item | None:
        request: GetItemInputTypeDef = {"TableName": self.name, "Key": self.key(pk, sk), "ConsistentRead": True}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = dict(names)
        found = self.client.get_item(**request)
        return deserialize(found["Item"]) if "Item" in found else None

    def put(self, item: Mapping[str, object], *, condition: str | None = None,
            values: Mapping[str, object] | None = None, names: Mapping[str, str] | None = None) -> None:
        self._write(self.client.put_item, TableName=self.name, Item=serialize(item),
                    **_expression(condition, values, names))

    def update(self, pk: str, sk: str, expression: str, *, condition: str | None = None,
               values: Mapping[str, object] | None = None, names: Mapping[str, str] | None = None,
               returning: bool = False) -> Item | None:
        """Update the item; `returning`: the item as the update left it (else None)."""
        request: UpdateItemInputTypeDef = {"TableName": self.name, "Key": self.key(pk, sk),
                                           "UpdateExpression": expression, **_expression(condition, values, names)}
        if returning:
            request["ReturnValues"] = "ALL_NEW"
        answer = self._write(self.client.update_item, **request)
        return deserialize(answer["Attributes"]) if returning else None

    def set_fields(self, pk: str, sk: str, fields: Mapping[str, object], *, condition: str | None = None,
                   values: Mapping[str, object] | None = None, names: Mapping[str, str] | None = None) -> None:
        """Set each field; a None removes it. `condition` (with its `values` and `names`) as for `update`."""
        names = {**(names or {}), **{f"#f{i}": k for i, k in enumerate(fields)}}
        values = {**(values or {}), **{f":v{i}": v for i, v in enumerate(fields.values()) if v is not None}}
        sets = [f"#f{i} = :v{i}" for i, v in enumerate(fields.values()) if v is not None]
        removes = [f"#f{i}" for i, v in enumerate(fields.values()) if v is None]
        expression = " ".join(part for part in ("SET " + ", ".join(sets) if sets else "",
                                                "REMOVE " + ", ".join(removes) if removes else "") if part)
        if expression:
            self.update(pk, sk, expression, condition=condition, values=values or None, names=names)

    def delete(self, pk: str, sk: str, *, condition: str | None = None,
               values: Mapping[str, object] | None = None, names: Mapping[str, str] | None = None) -> None:
        self._write(self.client.delete_item, TableName=self.name, Key=self.key(pk, sk),
                    **_expression(condition, values, names))

    def query(self, pk: str, *, newest_first: bool = False, limit: int | None = None,
              projection: str | None = None, names: Mapping[str, str] | None = None,
              consistent: bool = True) -> Iterator[Item]:
        """The items of one partition, by sort key; pages are followed unless `limit` is given."""
        kwargs: QueryInputTypeDef = {"TableName": self.name, "KeyConditionExpression": "pk = :pk",
                                     "ExpressionAttributeValues": {":pk": {"S": pk}},
                                     "ScanIndexForward": not newest_first, "ConsistentRead": consistent}
        if limit:
            kwargs["Limit"] = limit
        if projection:
            kwargs["ProjectionExpression"] = projection
        if names:
            kwargs["ExpressionAttributeNames"] = dict(names)
        while True:
            page = self.client.query(**kwargs)
            yield from (deserialize(item) for item in page["Items"])
            if limit or "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def put_action(self, item: Mapping[str, object]) -> TransactWriteItemTypeDef:
        """A put, as one action of `transact`."""
        return {"Put": {"TableName": self.name, "Item": serialize(item)}}

    def update_action(self, pk: str, sk: str, expression: str, *, condition: str | None = None,
                      values: Mapping[str, object] | None = None, names: Mapping[str, str] | None = None
                      ) -> TransactWriteItemTypeDef:
        return {"Update": {"TableName": self.name, "Key": self.key(pk, sk), "UpdateExpression": expression,
                           **_expression(condition, values, names)}}

    def check_action(self, pk: str, sk: str, condition: str, *, values: Mapping[str, object] | None = None,
                     names: Mapping[str, str] | None = None) -> TransactWriteItemTypeDef:
        return {"ConditionCheck": {"TableName": self.name, "Key": self.key(pk, sk), "ConditionExpression": condition,
                                   **_expression(None, values, names)}}

    def transact(self, actions: Sequence[TransactWriteItemTypeDef]) -> None:
        """All of `actions` or none (at most 100)."""
        self._write(self.client.transact_write_items, TransactItems=list(actions))

    def _write(self, call: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, CONFLICT_TRIES + 1):
            try:
                return call(*args, **kwargs)
            except ClientError as error:
                if _failed(error):
                    reasons = error.response.get("CancellationReasons") or []
                    failed = [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]
                    raise ConditionFailed(str(error), failed) from None
                if not _conflict(error) or attempt == CONFLICT_TRIES:
                    raise
            self.clock.sleep(random.uniform(0, CONFLICT_WAIT_S * 2 ** attempt))
        raise AssertionError("unreachable")
