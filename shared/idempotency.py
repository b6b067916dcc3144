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
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from shared.clock import SYSTEM, Clock
from shared.dynamo import ConditionFailed, Table
from shared.layout import IDEM_PK
from shared.renewal import renewing

if TYPE_CHECKING:
    from types_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

KEEP_S = 14 * 24 * 3600  # as long as a message can live in a DLQ, so a replay is still recognised
logger = logging.getLogger(__name__)
HELD = "#s = :p AND holder = :me"  # the claim is still in progress under this holder
COMPLETE = "SET #s = :c, outcome = :o REMOVE lease_until"


class ClaimedElsewhere(Exception):
    """Another worker holds a live claim on this message; retry after its lease."""



class RecordedOutcome(TypedDict, total=False):
    """What a completed claim keeps: the message its stage sent, and where (none for a run's last stage)."""

    queue: str | None
    message: str | None  # its JSON


@dataclass
class Claim:
    key: str
    fresh: bool
    outcome: RecordedOutcome | None = None  # the recorded outcome, when `fresh` is False
    owner: str = ""  # who holds a fresh claim: only its holder renews, releases or completes it


class Claims:
    def __init__(self, table: Table, lease_s: int = 60, clock: Clock = SYSTEM) -> None:
        self.table = table
        self.lease_s = lease_s
        self.clock = clock

    def claim(self, stage: str, message_id: str) -> Claim:
        key, now, owner = f"{stage}#{message_id}", self.clock.time(), uuid.uuid4().hex
        try:
            self.table.put(
                {"pk": IDEM_PK, "sk": key, "status": "in_progress", "lease_until": int(now + self.lease_s),
                 "holder": owner, "expires_at": int(now + KEEP_S)},
                condition="attribute_not_exists(pk) OR (#s = :p AND lease_until < :now)",
                names={"#s": "status"}, values={":p": "in_progress", ":now": int(now)})
            return Claim(key, fresh=True, owner=owner)
        except ConditionFailed:
            pass
        item = self.table.get(IDEM_PK, key) or {}
        if item.get("status") == "completed":
            return Claim(key, fresh=False, outcome=item.get("outcome"))
        raise ClaimedElsewhere(f"{key} is being handled elsewhere (lease until {item.get('lease_until')})")

    def renew(self, claim: Claim) -> bool:
        """Extend a held claim's lease; False if it is no longer ours to extend."""
        try:
            self.table.update(IDEM_PK, claim.key, "SET lease_until = :until", condition=HELD,
                              names={"#s": "status"}, values={":p": "in_progress", ":me": claim.owner,
                                                              ":until": int(self.clock.time() + self.lease_s)})
        except ConditionFailed:
            return False
        return True

    @contextlib.contextmanager
    def kept(self, claim: Claim) -> Iterator[None]:
        """Renew the claim every third of its lease while the block runs."""
        with renewing(lambda: self.renew(claim), self.lease_s / 3, f"claim {claim.key}"):
            yield

    def complete(self, claim: Claim, outcome: Mapping[str, object]) -> None:
        """Record the outcome. If a redelivery took the claim over meanwhile (this holder was paused past
        its lease), the taker records the same outcome: the next message's id derives from this one."""
        try:
            self.table.update(IDEM_PK, claim.key, COMPLETE, condition=HELD, names={"#s": "status"},
                              values=_completed(claim, outcome))
        except ConditionFailed:
            taken_over(claim)

    def complete_action(self, claim: Claim, outcome: Mapping[str, object]) -> TransactWriteItemTypeDef:
        """`complete` as one action of a transaction (its condition fails if the claim was taken over)."""
        return self.table.update_action(IDEM_PK, claim.key, COMPLETE, condition=HELD, names={"#s": "status"},
                                        values=_completed(claim, outcome))

    def release(self, claim: Claim) -> None:
        """Give the claim up after a failure, so a redelivery or a replay may work again.

        The lease is expired rather than the item deleted: no service may delete from the table."""
        try:  # only our own lease: a paused holder must not expire its taker's
            self.table.update(IDEM_PK, claim.key, "SET lease_until = :gone", condition=HELD, names={"#s": "status"},
                              values={":gone": 0, ":p": "in_progress", ":me": claim.owner})
        except ConditionFailed:
            pass


def _completed(claim: Claim, outcome: Mapping[str, object]) -> dict[str, object]:
    return {":c": "completed", ":o": outcome, ":p": "in_progress", ":me": claim.owner}


def taken_over(claim: Claim) -> None:
    logger.warning("claim %s was taken over before it completed; its taker records the outcome", claim.key)
