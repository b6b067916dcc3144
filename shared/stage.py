"""What every stage does around its own work: idempotency, stage records, the run's end, failure policy.

The work returns an `Outcome`: the run's next event (or None) and what the stage found. The stage
first claims the incoming message (`shared.idempotency`) and records itself `running`, then works,
then records its end with the claim's completion (which keeps the next message), then sends it; a
duplicate of a handled message re-sends the recorded next message and does nothing else. The next
event goes to the queue the service declares for it (`shared.topology`); an event that ends the run
(`shared.run_end`) goes to the announcer, and the stage ends the run first, through the run's one
owner (`shared.lifecycle`): a notifier outage delays the announcement, never the run's recorded end.
The notifier only announces.

On `InputError` the stage is recorded as failed and, for a service that announces, the run is
ended as failed and a `StageFailedV1` goes to the announcer; the incoming message is consumed.
Every other exception is transient: the claim is released before anything else is written (when the
store is what failed, the redelivery may claim again at once), then the exception is re-raised so
the queue redelivers the message (and in the end dead-letters it, see `give_up`).
Next messages get ids derived from the incoming one, so duplicates stay recognisable downstream.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.clock import SYSTEM, Clock, now_iso
from shared.errors import InputError
from shared.idempotency import ClaimedElsewhere
from shared.ledger import Ledger
from shared.lifecycle import RunLifecycle
from shared.messages import (
    Message,
    Payload,
    StageFailedV1,
    derived_id,
    make_message,
    parse_message,
)
from shared.queues import Publisher
from shared.run_end import is_terminal
from shared.runs import StageRecord, StageStatus
from shared.topology import ANNOUNCER, ServiceSpec

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class StageDeps:
    """What every pipeline service's dependencies hold; each service's `Deps` extends it."""

    ledger: Ledger
    publisher: Publisher
    clock: Clock = SYSTEM
    stale_after_days: int = 3

    def run(self, run_id: str) -> RunLifecycle:
        """The owner of the run's status (`shared.lifecycle`)."""
        return RunLifecycle(self.ledger, run_id, clock=self.clock, stale_after_days=self.stale_after_days)


@dataclass
class Outcome:
    """The run's next event (None: the run goes no further here), and fields for this stage's record."""

    payload: Payload | None
    found: dict[str, Any] = field(default_factory=dict)


def announces(spec: ServiceSpec) -> bool:
    """Whether the service sends the run's end to the announcer (every stage but the announcer's own)."""
    return ANNOUNCER.name in spec.sends_to


def next_queue(spec: ServiceSpec, payload: Payload) -> str:
    """Where the service sends `payload`: the announcer for a run's end, else its one other target."""
    if is_terminal(payload):
        return ANNOUNCER.name
    [queue] = [q for q in spec.sends_to if q != ANNOUNCER.name]
    return queue


def next_message(spec: ServiceSpec, parent: Message, payload: Payload) -> Message:
    """The answer to `parent`, with an id derived from it: a duplicate parent yields a duplicate.

    A failure's id also derives from its reason, so that a replay failing for another reason is
    announced again, while the same failure delivered twice is announced once."""
    kind = payload.kind if not isinstance(payload, StageFailedV1) else f"{payload.kind}:{payload.reason}"
    return make_message(payload, run_id=parent.envelope.run_id, producer=spec.stage,
                        message_id=derived_id(parent.envelope.message_id, spec.stage, kind))


def run_stage(spec: ServiceSpec, message: Message, deps: StageDeps, work: Callable[[], Outcome],
              opens: str | None = None) -> Outcome | None:
    """Do `work` once per message; returns None for a duplicate or a failure on bad input. `opens`: the
    trigger of the run this stage opens (the run's record is created with the stage's)."""
    ledger, stage, run = deps.ledger, spec.stage, deps.run(message.envelope.run_id)
    claim = ledger.claims.claim(stage, message.envelope.message_id)
    if not claim.fresh:
        recorded = claim.outcome or {}
        logger.info("duplicate of a handled message; re-sending its recorded outcome only")
        to, body = recorded.get("queue"), recorded.get("message")
        if to and body:
            deps.publisher.send(to, parse_message(body))
        return None
    started_at, t0 = now_iso(deps.clock), deps.clock.monotonic()

    def record(status: StageStatus, **found: Any) -> StageRecord:
        return StageRecord(status=status, started_at=started_at, finished_at=now_iso(deps.clock),
                           duration_ms=round((deps.clock.monotonic() - t0) * 1000), **found)

    try:
        running = StageRecord(status="running", started_at=started_at)
        if opens:
            run.start(opens, stage, running)
        else:
            run.record(stage, running)
        with ledger.claims.kept(claim):
            outcome = work()
    except InputError as error:
        logger.warning("%s failed on bad input: %s", stage, error.reason)
        ledger.claims.release(claim)  # a replay after the cause is fixed may try again
        fail_run(spec, message, deps, StageFailedV1(stage=stage, reason=error.reason, raw_keys=error.raw_keys),
                 record("failed", error=error.reason))
        return None
    except Exception as error:
        ledger.claims.release(claim)
        run.record(stage, record("retrying", error=f"{type(error).__name__}: {error}"))
        raise
    done = record("succeeded", **outcome.found)
    sent = next_message(spec, message, outcome.payload) if outcome.payload is not None else None
    queue = next_queue(spec, outcome.payload) if outcome.payload is not None else None
    # The stage's end is recorded before its next message is sent, and the claim keeps that message:
    # a send that fails (or a crash before it) is retried by the redelivery, which finds the claim
    # completed and sends the recorded message again, without doing the work twice.
    if is_terminal(outcome.payload):  # (a TypeGuard: kept inline so that it narrows)
        run.end(outcome.payload, (stage, done))  # the record and the run's end, one write
    ledger.finish(run.run_id, stage, None if is_terminal(outcome.payload) else done, claim,
                  {"queue": queue, "message": sent.to_json() if sent else None})
    if sent and queue:
        deps.publisher.send(queue, sent)
    return outcome


def fail_run(spec: ServiceSpec, message: Message, deps: StageDeps, failed: StageFailedV1,
             record: StageRecord, gave_up: bool = False) -> None:
    """Record the stage as failed, end the run as failed (or `gave_up`) and announce it; the announcer's
    own failures end no run."""
    run = deps.run(message.envelope.run_id)
    if not announces(spec):
        run.record(spec.stage, record)
        return
    if gave_up:
        run.give_up(failed, (spec.stage, record))
    else:
        run.end(failed, (spec.stage, record))
    deps.publisher.send(ANNOUNCER.name, next_message(spec, message, failed))


def reject(spec: ServiceSpec, message: Message, deps: StageDeps, reason: str) -> None:
    """A message that no retry can handle (a kind its queue does not take): its run fails with `reason`,
    announced, as on bad input; the message itself is the caller's (the DLQ)."""
    fail_run(spec, message, deps, StageFailedV1(stage=spec.stage, reason=reason),
             StageRecord(status="failed", finished_at=now_iso(deps.clock), error=reason))


def give_up(spec: ServiceSpec, message: Message, deps: StageDeps, error: BaseException, attempts: int) -> None:
    """The last delivery failed too: the message goes to the DLQ; the run is given up on and announced.

    Unless it failed because another worker holds the message's claim: that worker may still finish
    the stage and end the run, so this copy fails nothing (if it never does, the claim lapses and the
    dead-lettered copy can be replayed)."""
    stage = spec.stage
    if isinstance(error, ClaimedElsewhere):
        logger.warning("%s: the message is claimed by another worker; the run is left to it", stage)
        return
    reason = (f"{stage} gave up after {attempts} attempts: {type(error).__name__}: {error}. The message is kept "
              f"in the dead-letter queue; fix the cause, then `covid-etl replay --dlq {stage}`")
    fail_run(spec, message, deps, StageFailedV1(stage=stage, reason=reason),
             StageRecord(status="failed", finished_at=now_iso(deps.clock), error=reason), gave_up=True)
