"""moto's DynamoDB `transact_write_items`, rolled back by an undo log instead of whole-table copies.

This is moto 5.2.5's `DynamoDBBackend.transact_write_items` (moto/dynamodb/models/__init__.py) with
the same checks in the same order and the same errors (at most 100 actions; a key written twice or a
validation error: ValidationException; otherwise TransactionCanceledException with a reason per
action, ALL_OLD included). One change: moto deep-copies every table the transaction names before it
starts and puts the copies back to roll back; here, before an action is applied, the one item it
touches is remembered (moto's Item, deep-copied for an update, which changes it in place; a put or a
delete replaces or removes it; None where there was none), and a rollback puts back exactly those
keys. moto derives secondary indexes from the table's items at each read, so they follow. Stream
records that the cancelled actions added are taken out again, as the table copy did. Unlike moto, a
transaction item naming two operations also rolls back what was applied before it.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import StreamRecord, StreamShard, Table

Reason = tuple[str | None, str | None, dict[str, Any] | None]
OPERATIONS = {"ConditionCheck", "Put", "Delete", "Update"}


class UndoLog:
    """What a transaction's actions changed, to put back if it is cancelled: the before-image of
    each item they touched (None: there was none) and the stream records they added."""

    def __init__(self) -> None:
        self.images: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
        self.records: list[tuple[StreamShard, StreamRecord]] = []

    @contextlib.contextmanager
    def change(self, table: Table, key: dict[str, Any], current: Item | None, in_place: bool) -> Iterator[None]:
        """Around one action on `key`, whose item is `current` before it; an action that changes
        the item `in_place` (an update) needs a copy of it, the others replace or remove it."""
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        image = copy.deepcopy(current) if in_place else current
        self.images.append((table, DynamoType(key[table.hash_key_attr]), range_value, image))
        shard, before = table.stream_shard, len(table.stream_shard.items) if table.stream_shard else 0
        try:
            yield
        finally:  # an action may fail after it wrote (an update creates its item, then validates)
            if shard is not None:
                self.records += [(shard, record) for record in shard.items[before:]]

    def undo(self) -> None:
        for table, hash_value, range_value, image in reversed(self.images):
            items: dict[Any, Any] = table.items if range_value is None else table.items[hash_value]
            slot = hash_value if range_value is None else range_value
            if image is None:
                items.pop(slot, None)
            else:
                items[slot] = image
        for shard, record in self.records:
            with contextlib.suppress(ValueError):
                shard.items.remove(record)


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    log, targets = UndoLog(), set[tuple[str, str]]()
    try:
        reasons = [_write(self, item, targets, log) for item in transact_items]
    except MockValidationException:  # a key written twice, a validation error: the request fails
        log.undo()
        raise
    if any(code is not None for code, _, _ in reasons):
        log.undo()
        raise TransactionCanceledException(reasons)


def _write(backend: DynamoDBBackend, item: dict[str, Any], targets: set[tuple[str, str]], log: UndoLog) -> Reason:
    """Checks and applies one action; returns its cancellation reason (None, None, None: none)."""
    if len(item) > 1:
        raise TransactWriteSingleOpException
    old: dict[str, Any] | None = None
    try:
        op_type, op = next(iter(item.items()))
        if op_type not in OPERATIONS:
            raise ValueError("Unsupported transaction operation")
        table_name, key = op["TableName"], _key(backend, op_type, op)
        target = (str(table_name), str(dict(sorted(key.items()))))
        if target in targets:
            raise MultipleTransactionsException()
        targets.add(target)
        current = backend.get_item(table_name, key)
        condition = op.get("ConditionExpression")
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        if condition is not None and not get_filter_expression(condition, names, values).expr(current):
            if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                old = current.to_json()["Attributes"]
            raise ConditionalCheckFailed(item=old)
        if op_type != "ConditionCheck":
            with log.change(backend.get_table(table_name), key, current, in_place=op_type == "Update"):
                _apply(backend, op_type, op, key)
        return None, None, None
    except MockValidationException:
        raise
    except ConditionalCheckFailed as e:
        return "ConditionalCheckFailed", str(e.message), old
    except Exception as e:  # as moto: any other failure is that action's reason
        return type(e).__name__, str(e), old


def _key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        key: dict[str, Any] = op["Key"]
        return key
    attrs, table = op["Item"], backend.get_table(op["TableName"])
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    return {name: attrs[name] for name in names}


def _apply(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], key: dict[str, Any]) -> None:
    expression: dict[str, Any] = {"condition_expression": op.get("ConditionExpression"),
                  "expression_attribute_names": op.get("ExpressionAttributeNames"),
                  "expression_attribute_values": op.get("ExpressionAttributeValues")}
    if op_type == "Put":
        backend.put_item(op["TableName"], op["Item"], **expression)
    elif op_type == "Delete":
        backend.delete_item(op["TableName"], key, **expression)
    else:
        backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"], **expression)
