"""From a raw queue body to a service's `handle(message, deps)`: parse, bind the run id, call.

On the last delivery the queue allows (`COVID_ETL_MAX_RECEIVE_COUNT`), a failure is also recorded
in the run ledger and announced before the message goes to the dead-letter queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from shared import logs
from shared.messages import Message, Stage, parse_message
from shared.settings import get_settings
from shared.stage import give_up


class BodyHandler(Protocol):
    def __call__(self, body: str, receive_count: int = 1) -> None: ...


D = TypeVar("D")
logger = logging.getLogger(__name__)


def body_handler(handle: Callable[[Message, D], None], deps: Callable[[], D], stage: Stage) -> BodyHandler:
    """Wrap `handle` so both runtimes can call it with a body; deps are built once, lazily."""
    built: list[D] = []

    def on_body(body: str, receive_count: int = 1) -> None:
        try:
            message = parse_message(body)
        except ValueError as error:  # pydantic's ValidationError is one too
            last = receive_count >= get_settings().max_receive_count
            logger.log(logging.ERROR if last else logging.WARNING, "unreadable message body (delivery %d%s): %s",
                       receive_count, ", the last: it goes to the DLQ" if last else "", str(error)[:500])
            raise
        if not built:
            built.append(deps())
        with logs.bound(run_id=message.envelope.run_id, message_id=message.envelope.message_id,
                        kind=message.payload.kind):
            logger.info("handling %s (delivery %d)", message.payload.kind, receive_count)
            try:
                handle(message, built[0])
            except Exception as error:
                if receive_count >= get_settings().max_receive_count:
                    logger.error("last delivery failed: %s; the message goes to the DLQ", error)
                    _give_up(stage, message, built[0], error, receive_count)
                raise
            logger.info("handled %s", message.payload.kind)

    return on_body


def _give_up(stage: Stage, message: Message, deps: Any, error: Exception, attempts: int) -> None:
    try:
        publisher = None if stage == "notify" else deps.publisher
        give_up(stage, message, deps.ledger, publisher, error, attempts)
    except Exception:  # the store may be what failed; the DLQ still keeps the message
        logger.exception("could not record the failure")
