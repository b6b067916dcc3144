"""DynamoDB write capacity units of one request, computed from the request's body alone.

moto does not fill `ConsumedCapacity` unless asked, and the product never asks, so `bench/delay_proxy.py`
reads every DynamoDB request on its way to the emulator and prices it here as DynamoDB bills on-demand
writes: 1 WCU per 1 KB of item (rounded up, at least 1) for each item put or deleted, 2 for each action
of a `TransactWriteItems` (DynamoDB does two underlying writes per transactional item; a ConditionCheck
is priced as a write of its key). Sizes follow AWS's item-size rules: attribute names' UTF-8 bytes plus
each value's (a number: 1 byte per two significant digits, plus 1).
What a request does not carry is counted as a lower bound, and said so in docs/benchmarks.md: a delete's
size is its key's (the item it removes is not in the request), an update's is its key plus the values it
sets (the item it grows is not). A pure module: no socket, no clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

TARGET = "DynamoDB_20120810."  # the X-Amz-Target prefix of every DynamoDB call


@dataclass(frozen=True)
class Write:
    """One item written by a request: its table, its partition's kind (`series` of `series#US`), its WCUs."""

    table: str
    partition: str
    units: int


def value_size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = raw.lstrip("-").replace(".", "").lstrip("0").rstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return math.ceil(len(raw) * 3 / 4)  # base64 on the wire
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "BS"):
        return sum(len(v) for v in raw)
    if kind == "NS":
        return sum(value_size({"N": v}) for v in raw)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in raw.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def partition(key: dict[str, Any]) -> str:
    pk = key.get("pk", {}).get("S")
    return pk.split("#", 1)[0] if pk else "?"


def _action(table: str, body: dict[str, Any], factor: int) -> Write:
    item = body.get("Item") or {**body.get("Key", {}), **body.get("ExpressionAttributeValues", {})}
    return Write(table, partition(body.get("Item") or body.get("Key", {})), factor * units(item_size(item)))


def writes(target: str, body: dict[str, Any]) -> list[Write]:
    """The items a DynamoDB request (its X-Amz-Target and JSON body) writes; [] for a read."""
    op = target.removeprefix(TARGET)
    if op == "BatchWriteItem":
        return [_action(table, request.get("PutRequest") or request["DeleteRequest"], 1)
                for table, requests in body["RequestItems"].items() for request in requests]
    if op == "TransactWriteItems":
        return [_action(action["TableName"], action, 2) for entry in body["TransactItems"]
                for action in entry.values()]
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return [_action(body["TableName"], body, 1)]
    return []
