"""Exactly-once effects over at-least-once delivery: claims keyed by stage and producer message id.

A stage claims `<stage>#<message id>` before it works (a conditional put). The claim is a lease:
if the worker dies, the claim lapses after `lease_s` (the queue's visibility timeout) and the
redelivered message may claim it again. When the work is done the claim records the outcome
(the next message), so a duplicate delivery does not work again: it re-sends the same next
message, whose id is derived from this one, and the next stage drops it in turn.
Items live in the pipeline's one table under `pk=idem`; `expires_at` is a TTL attribute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

IDEM_PK = "idem"
KEEP_S = 14 * 24 * 3600  # as long as a message can live in a DLQ, so a replay is still recognised


class ClaimedElsewhere(Exception):
    """Another worker holds a live claim on this message; retry after its lease."""


@dataclass
class Claim:
    key: str
    fresh: bool
    outcome: dict[str, Any] | None = None  # the recorded outcome, when `fresh` is False


class Claims:
    def __init__(self, table: Any, lease_s: int = 60) -> None:
        self.table = table
        self.lease_s = lease_s

    def claim(self, stage: str, message_id: str) -> Claim:
        key, now = f"{stage}#{message_id}", time.time()
        try:
            self.table.put_item(
                Item={"pk": IDEM_PK, "sk": key, "status": "in_progress", "lease_until": int(now + self.lease_s),
                      "expires_at": int(now + KEEP_S)},
                ConditionExpression="attribute_not_exists(pk) OR (#s = :p AND lease_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":p": "in_progress", ":now": int(now)},
            )
            return Claim(key, fresh=True)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        item = self.table.get_item(Key={"pk": IDEM_PK, "sk": key}, ConsistentRead=True).get("Item") or {}
        if item.get("status") == "completed":
            return Claim(key, fresh=False, outcome=item.get("outcome"))
        raise ClaimedElsewhere(f"{key} is being handled elsewhere (lease until {item.get('lease_until')})")

    def complete(self, claim: Claim, outcome: dict[str, Any]) -> None:
        self.table.update_item(
            Key={"pk": IDEM_PK, "sk": claim.key},
            UpdateExpression="SET #s = :c, outcome = :o REMOVE lease_until",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":c": "completed", ":o": outcome},
        )

    def release(self, claim: Claim) -> None:
        """Give the claim up after a failure, so a redelivery or a replay may work again.

        The lease is expired rather than the item deleted: no service may delete from the table."""
        self.table.update_item(Key={"pk": IDEM_PK, "sk": claim.key}, UpdateExpression="SET lease_until = :gone",
                               ExpressionAttributeValues={":gone": 0})
