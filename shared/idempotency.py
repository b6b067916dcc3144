"""Exactly-once effects over at-least-once delivery: claims keyed by stage and producer message id.

A stage claims `<stage>#<message id>` before it works (a conditional put). The claim is a lease:
if the worker dies, the claim lapses after `lease_s` (the queue's visibility timeout) and the
redelivered message may claim it again. While the work runs the claim is renewed every third of
its lease (`kept`), as the container's heartbeat renews the message's visibility, so a slow
handler is never claimed a second time by a replay. When the work is done the claim records the
outcome (the next message), so a duplicate delivery does not work again: it re-sends the same next
message, whose id is derived from this one, and the next stage drops it in turn.
Items live in the pipeline's one table under `pk=idem`; `expires_at` is a TTL attribute.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.clock import SYSTEM, Clock
from shared.dynamo import ConditionFailed, Table
from shared.renewal import renewing

IDEM_PK = "idem"
KEEP_S = 14 * 24 * 3600  # as long as a message can live in a DLQ, so a replay is still recognised
logger = logging.getLogger(__name__)


class ClaimedElsewhere(Exception):
    """Another worker holds a live claim on this message; retry after its lease."""


@dataclass
class Claim:
    key: str
    fresh: bool
    outcome: dict[str, Any] | None = None  # the recorded outcome, when `fresh` is False


class Claims:
    def __init__(self, table: Table, lease_s: int = 60, clock: Clock = SYSTEM) -> None:
        self.table = table
        self.lease_s = lease_s
        self.clock = clock

    def claim(self, stage: str, message_id: str) -> Claim:
        key, now = f"{stage}#{message_id}", self.clock.time()
        try:
            self.table.put(
                {"pk": IDEM_PK, "sk": key, "status": "in_progress", "lease_until": int(now + self.lease_s),
                 "expires_at": int(now + KEEP_S)},
                condition="attribute_not_exists(pk) OR (#s = :p AND lease_until < :now)",
                names={"#s": "status"}, values={":p": "in_progress", ":now": int(now)})
            return Claim(key, fresh=True)
        except ConditionFailed:
            pass
        item = self.table.get(IDEM_PK, key) or {}
        if item.get("status") == "completed":
            return Claim(key, fresh=False, outcome=item.get("outcome"))
        raise ClaimedElsewhere(f"{key} is being handled elsewhere (lease until {item.get('lease_until')})")

    def renew(self, claim: Claim) -> bool:
        """Extend a held claim's lease; False if it is no longer ours to extend."""
        try:
            self.table.update(IDEM_PK, claim.key, "SET lease_until = :until", condition="#s = :p",
                              names={"#s": "status"},
                              values={":p": "in_progress", ":until": int(self.clock.time() + self.lease_s)})
        except ConditionFailed:
            return False
        return True

    @contextlib.contextmanager
    def kept(self, claim: Claim) -> Iterator[None]:
        """Renew the claim every third of its lease while the block runs."""
        with renewing(lambda: self.renew(claim), self.lease_s / 3, f"claim {claim.key}"):
            yield

    def complete(self, claim: Claim, outcome: dict[str, Any]) -> None:
        self.table.update(IDEM_PK, claim.key, "SET #s = :c, outcome = :o REMOVE lease_until",
                          names={"#s": "status"}, values={":c": "completed", ":o": outcome})

    def release(self, claim: Claim) -> None:
        """Give the claim up after a failure, so a redelivery or a replay may work again.

        The lease is expired rather than the item deleted: no service may delete from the table."""
        self.table.update(IDEM_PK, claim.key, "SET lease_until = :gone", values={":gone": 0})
