"""Keeping a lease alive while a block runs: a daemon thread that renews it at a fixed interval.

Used by the idempotency claims and the load lock. A renewal that says the lease is no longer ours
stops the thread (the holder's writes are fenced, see `shared.lock`); one that fails (the endpoint
is down for a moment) is tried again at the next tick.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def renewing(renew: Callable[[], bool], every_s: float, what: str) -> Iterator[None]:
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_s):
            try:
                if not renew():
                    logger.warning("lost the %s to another holder after its lease lapsed", what)
                    return
            except Exception as error:
                logger.warning("could not renew the %s: %s", what, error)

    thread = threading.Thread(target=loop, daemon=True, name=f"renew {what}")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
