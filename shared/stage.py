"""What every stage does around its own work: ledger records, timing, and the failure policy.

The work returns the next message (queue and payload) or None. On `InputError` the stage is
recorded as failed and a `StageFailedV1` goes to the notifier; the incoming message is consumed.
Any other exception is recorded and re-raised, so the queue redelivers the message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.errors import InputError
from shared.ledger import RunLedger, now_iso
from shared.messages import Message, Payload, Stage, StageFailedV1, make_message
from shared.queues import Publisher

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """The next message of the run, and fields to keep in this stage's ledger record."""

    queue: str | None
    payload: Payload | None
    record: dict[str, Any] = field(default_factory=dict)


def run_stage(stage: Stage, message: Message, ledger: RunLedger, publisher: Publisher,
              work: Callable[[], Outcome]) -> Outcome | None:
    run_id = message.envelope.run_id
    started_at, t0 = now_iso(), time.monotonic()
    ledger.stage(run_id, stage, status="running", started_at=started_at)

    def record(status: str, **fields: Any) -> None:
        ledger.stage(run_id, stage, status=status, started_at=started_at, finished_at=now_iso(),
                     duration_ms=round((time.monotonic() - t0) * 1000), **fields)

    try:
        outcome = work()
    except InputError as error:
        logger.warning("%s failed on bad input: %s", stage, error.reason)
        record("failed", error=error.reason)
        failed = StageFailedV1(stage=stage, reason=error.reason, raw_keys=error.raw_keys)
        publisher.send("notifier", make_message(failed, run_id=run_id, producer=stage))
        return None
    except Exception as error:
        record("retrying", error=f"{type(error).__name__}: {error}")
        raise
    record("succeeded", **outcome.record)
    if outcome.queue and outcome.payload is not None:
        publisher.send(outcome.queue, make_message(outcome.payload, run_id=run_id, producer=stage))
    return outcome
