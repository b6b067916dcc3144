"""What every stage does around its own work: idempotency, ledger records, timing, failure policy.

The work returns the next message (queue and payload) or None. The stage first claims the incoming
message (`shared.idempotency`); a duplicate of a handled message re-sends the recorded next
message and does nothing else. On `InputError` the stage is recorded as failed and a
`StageFailedV1` goes to the notifier; the incoming message is consumed. Any other exception is
recorded and re-raised, so the queue redelivers the message (and in the end dead-letters it).
Next messages get ids derived from the incoming one, so duplicates stay recognisable downstream.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.errors import InputError
from shared.ledger import Ledger, now_iso
from shared.messages import Message, Payload, Stage, StageFailedV1, derived_id, make_message, parse_message
from shared.metrics import record_run_outcome
from shared.queues import Publisher
from shared.runs import RunEnd, StageRecord, StageStatus

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """The next message of the run, and fields to keep in this stage's ledger record."""

    queue: str | None
    payload: Payload | None
    record: dict[str, Any] = field(default_factory=dict)


def next_message(stage: str, parent: Message, payload: Payload) -> Message:
    """The answer to `parent`, with an id derived from it: a duplicate parent yields a duplicate.

    A failure's id also derives from its reason, so that a replay failing for another reason is
    announced again, while the same failure delivered twice is announced once."""
    kind = payload.kind if not isinstance(payload, StageFailedV1) else f"{payload.kind}:{payload.reason}"
    return make_message(payload, run_id=parent.envelope.run_id, producer=stage,
                        message_id=derived_id(parent.envelope.message_id, stage, kind))


def run_stage(stage: Stage, message: Message, ledger: Ledger, publisher: Publisher,
              work: Callable[[], Outcome]) -> Outcome | None:
    """Do `work` once per message; returns None for a duplicate or a failure on bad input."""
    claim = ledger.claims.claim(stage, message.envelope.message_id)
    if not claim.fresh:
        recorded = claim.outcome or {}
        logger.info("duplicate of a handled message; re-sending its recorded outcome only")
        if recorded.get("queue") and recorded.get("message"):
            publisher.send(recorded["queue"], parse_message(recorded["message"]))
        return None
    run_id = message.envelope.run_id
    started_at, t0 = now_iso(), time.monotonic()
    ledger.record_stage(run_id, stage, StageRecord(status="running", started_at=started_at))

    def record(status: StageStatus, **fields: Any) -> None:
        ledger.record_stage(run_id, stage, StageRecord(
            status=status, started_at=started_at, finished_at=now_iso(),
            duration_ms=round((time.monotonic() - t0) * 1000), **fields))

    try:
        outcome = work()
    except InputError as error:
        logger.warning("%s failed on bad input: %s", stage, error.reason)
        record("failed", error=error.reason)
        ledger.claims.release(claim)  # a replay after the cause is fixed may try again
        failed = StageFailedV1(stage=stage, reason=error.reason, raw_keys=error.raw_keys)
        publisher.send("notifier", next_message(stage, message, failed))
        return None
    except Exception as error:
        record("retrying", error=f"{type(error).__name__}: {error}")
        ledger.claims.release(claim)
        raise
    record("succeeded", **outcome.record)
    sent = next_message(stage, message, outcome.payload) if outcome.queue and outcome.payload else None
    ledger.claims.complete(claim, {"queue": outcome.queue, "message": sent.to_json() if sent else None})
    if sent and outcome.queue:
        publisher.send(outcome.queue, sent)
    return outcome


def give_up(stage: Stage, message: Message, ledger: Ledger, publisher: Publisher | None,
            error: BaseException, attempts: int) -> None:
    """The last delivery failed too: the message goes to the DLQ; say so in the ledger and announce it."""
    reason = (f"{stage} gave up after {attempts} attempts: {type(error).__name__}: {error}. The message is kept "
              f"in the dead-letter queue; fix the cause, then `covid-etl replay --dlq {stage}`")
    ledger.record_stage(message.envelope.run_id, stage, StageRecord(status="failed", finished_at=now_iso(),
                                                                    error=reason))
    if publisher is None:  # the notifier itself gave up: nobody else can announce it
        ledger.close(message.envelope.run_id, RunEnd(status="failed", error=reason, finished_at=now_iso()))
        record_run_outcome(message.envelope.run_id, "failed")
        return
    publisher.send("notifier", next_message(stage, message, StageFailedV1(stage=stage, reason=reason)))
