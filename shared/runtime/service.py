"""A pipeline service declared once, and how a raw queue body reaches its handler.

`Service` holds a service's spec (stage, queue, targets: `shared.topology`), the message kinds its
queue takes, its `handle(message, deps)`, and `build(settings)`, its composition root. Each
`services/<name>/main.py` declares one as `service`; both runtimes take it: the container's
`python -m shared.runtime <name>` and Lambda's `shared.runtime.lambda_entry.handler`.

A body that cannot be parsed, or a message of a kind its queue does not take, is never retried:
one ERROR line with the queue and message id, the body sent as it is to the queue's DLQ (where the
dead-letter alarm sees it and `covid-etl replay --dlq` finds it), and the message consumed. A
message of the wrong kind carries a run id: that run is first failed (`shared.stage.reject`: recorded,
ended, announced), and only then is the body sent to the DLQ, so that a failed record retries the
message, not the send.
Every other failure is retried by the queue; the last delivery it allows
(`COVID_ETL_MAX_RECEIVE_COUNT`) also records and announces the failure (`shared.stage.give_up`).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypedDict, TypeVar

from shared import aws, logs, tracing
from shared.ledger import Ledger, RunLedger
from shared.messages import Message, parse_message
from shared.queues import Publisher, publisher_for
from shared.settings import Settings, get_settings
from shared.stage import StageDeps, give_up, reject
from shared.topology import ServiceSpec
from shared.topology import service as spec_of

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient

logger = logging.getLogger(__name__)
D = TypeVar("D", bound=StageDeps)


class BodyHandler(Protocol):
    def __call__(self, body: str, receive_count: int = 1, message_id: str = "") -> None: ...


class DeadLetters(Protocol):
    """Where a body that must not be retried goes at once."""

    def send(self, body: str, reason: str) -> None: ...


class SqsDeadLetters:
    def __init__(self, dlq_url: str, client: SQSClient | None = None) -> None:
        self.dlq_url = dlq_url
        self.sqs = client or aws.client("sqs")

    def send(self, body: str, reason: str) -> None:
        self.sqs.send_message(QueueUrl=self.dlq_url, MessageBody=body, MessageAttributes={
            "reason": {"DataType": "String", "StringValue": reason[:1000]}})


@dataclass(frozen=True)
class Service(Generic[D]):
    spec: ServiceSpec
    accepts: tuple[type, ...]  # the payload classes its queue takes
    handle: Callable[[Message, D], None]
    build: Callable[[Settings], D]


class CommonDeps(TypedDict):
    """`StageDeps`' fields, as keyword arguments of a service's `Deps`."""

    ledger: Ledger
    publisher: Publisher
    stale_after_days: int


def stage_deps(settings: Settings, spec: ServiceSpec) -> CommonDeps:
    """The dependencies every stage has (`StageDeps`), built from settings, for a service's `build`."""
    return {"ledger": RunLedger(settings.table_name, lease_s=settings.visibility_timeout_s),
            "publisher": publisher_for(settings, *spec.sends_to), "stale_after_days": settings.stale_after_days}


def load(name: str) -> Service[Any]:
    """The declared service `name` (or of stage `name`), from `services/<name>/main.py`."""
    spec = spec_of(name)
    declared = importlib.import_module(spec.module).service
    if not isinstance(declared, Service) or declared.spec != spec:
        raise TypeError(f"{spec.module}.service is not the declaration of {spec.name}")
    return declared


def body_handler(service: Service[D], settings: Settings | None = None,
                 dead_letters: DeadLetters | None = None) -> BodyHandler:
    """The function both runtimes call with each body; deps and the DLQ sender are built once, lazily."""
    spec, built, letters = service.spec, list[D](), list[DeadLetters]()

    def deps() -> D:
        if not built:
            built.append(service.build(settings or get_settings()))
        return built[0]

    def poison(reason: str, body: str, message_id: str, message: Message | None) -> None:
        # The run's failure is recorded before the DLQ send, which SQS cannot make idempotent: a record
        # that fails leaves the message on its queue like any transient failure (the queue's own redrive
        # dead-letters it if the store stays down), so the body reaches the DLQ once, not once a delivery.
        if message is not None:
            with logs.bound(run_id=message.envelope.run_id, message_id=message.envelope.message_id):
                reject(spec, message, deps(), reason)
        if not letters:
            letters.append(dead_letters or SqsDeadLetters((settings or get_settings()).dlq_url(spec.name)))
        letters[0].send(body, reason)
        logger.error("%s (queue %s, message %s): not retried; sent to the DLQ and consumed",
                     reason, spec.name, message_id)

    def on_body(body: str, receive_count: int = 1, message_id: str = "") -> None:
        try:
            message = parse_message(body)
        except ValueError as error:  # pydantic's ValidationError is one too
            return poison(f"unreadable message body: {str(error)[:300]}", body, message_id, None)
        kind = message.payload.kind
        if not isinstance(message.payload, service.accepts):
            with tracing.handling(spec.stage, message):
                return poison(f"a {kind} message on the {spec.name} queue, which does not take it", body,
                              message_id, message)
        with tracing.handling(spec.stage, message), \
                logs.bound(run_id=message.envelope.run_id, message_id=message.envelope.message_id, kind=kind):
            logger.info("handling %s (delivery %d)", kind, receive_count)
            try:
                service.handle(message, deps())
            except Exception as error:
                if receive_count >= (settings or get_settings()).max_receive_count:
                    logger.error("last delivery failed: %s; the message goes to the DLQ", error)
                    _give_up(service, message, error, receive_count, deps)
                raise
            logger.info("handled %s", kind)
        return None

    return on_body


def _give_up(service: Service[D], message: Message, error: Exception, attempts: int, deps: Callable[[], D]) -> None:
    try:
        give_up(service.spec, message, deps(), error, attempts)
    except Exception:  # the store may be what failed; the DLQ still keeps the message
        logger.exception("could not record the failure")

