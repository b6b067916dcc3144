"""A named lock in DynamoDB: a lease that its holder renews while it works.

If the holder dies, the lease lapses after `lease_s` (the queue's visibility timeout, when the
message it was working on reappears too) and the next holder may take it. While the holder lives, a
thread renews the lease every third of it, so a slow block never loses the lock halfway.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)
LOCK_PK = "lock"


@contextlib.contextmanager
def hold(table: Any, name: str, owner: str, lease_s: int, wait_s: float) -> Iterator[None]:
    """Hold the lock `name` as `owner` for the block; wait up to `wait_s` for it (TimeoutError after)."""
    # the Table's client (thread-safe, unlike the Table), with the resource's plain-value serialisation
    client, key = table.meta.client, {"pk": LOCK_PK, "sk": name}
    deadline = time.monotonic() + wait_s
    while True:
        now = int(time.time())
        try:
            client.put_item(
                TableName=table.name, Item={**key, "owner": owner, "lease_until": now + lease_s},
                ConditionExpression="attribute_not_exists(pk) OR lease_until < :now",
                ExpressionAttributeValues={":now": now})
            break
        except client.exceptions.ConditionalCheckFailedException:
            if time.monotonic() > deadline:
                raise TimeoutError(f"lock {name!r} still held by another run after {wait_s:g} s") from None
            time.sleep(0.5)
    stop = threading.Event()
    renewer = threading.Thread(target=_renew, args=(client, table.name, key, owner, lease_s, stop), daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
        try:
            # expired, not deleted: no service may delete from the table
            client.update_item(TableName=table.name, Key=key, UpdateExpression="SET lease_until = :gone",
                               ConditionExpression="#o = :me", ExpressionAttributeNames={"#o": "owner"},
                               ExpressionAttributeValues={":me": owner, ":gone": 0})
        except client.exceptions.ConditionalCheckFailedException:
            logger.warning("lock %r was taken over after its lease lapsed", name)


def _renew(client: Any, table: str, key: dict[str, Any], owner: str, lease_s: int, stop: threading.Event) -> None:
    while not stop.wait(lease_s / 3):
        try:
            client.update_item(TableName=table, Key=key, UpdateExpression="SET lease_until = :until",
                               ConditionExpression="#o = :me", ExpressionAttributeNames={"#o": "owner"},
                               ExpressionAttributeValues={":me": owner, ":until": int(time.time()) + lease_s})
        except client.exceptions.ConditionalCheckFailedException:
            logger.warning("lost the lock to another holder after its lease lapsed")
            return
        except Exception as error:  # the endpoint is down for a moment: try again at the next tick
            logger.warning("could not renew the lock: %s", error)
