"""From a raw queue body to a service's `handle(message, deps)`: parse, bind the run id, call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from shared import logs
from shared.messages import Message, parse_message

D = TypeVar("D")
BodyHandler = Callable[[str], None]
logger = logging.getLogger(__name__)


def body_handler(handle: Callable[[Message, D], None], deps: Callable[[], D]) -> BodyHandler:
    """Wrap `handle` so both runtimes can call it with a body; deps are built once, lazily."""
    built: list[D] = []

    def on_body(body: str) -> None:
        message = parse_message(body)
        if not built:
            built.append(deps())
        with logs.bound(run_id=message.envelope.run_id, message_id=message.envelope.message_id,
                        kind=message.payload.kind):
            logger.info("handling %s", message.payload.kind)
            handle(message, built[0])
            logger.info("handled %s", message.payload.kind)

    return on_body
