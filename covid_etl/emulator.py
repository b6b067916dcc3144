"""The embedded AWS emulator: moto's server, with one fix to its DynamoDB transactions.

moto 5.2's `transact_write_items` backs up the whole table before a transaction, so that it can
roll back, but it does so once per action rather than once per table: a transaction of 100 puts
deep-copies the table 100 times, identically, before writing anything. On a table holding the
series (420 rows and the runs) a 25-put transaction took 155 ms against 3.6 ms for the same puts
in a BatchWriteItem, and a full load took 1.7 s of the pipeline's 1.9 s; on AWS a transaction costs
about what a batch does. The fix copies each table once per transaction: the copies moto makes are
taken before any action is applied, so each is the same as the first, and the rollback restores
exactly what it restored before (tests/unit/test_emulator.py checks both).

`start_emulator` is what `covid-etl up`, the test suite and the benchmarks run. `up` also keeps the
cyclic garbage collector's full passes out of the emulator's way (`settle`).
"""

from __future__ import annotations

import copy
import functools
import gc
import logging
import threading
from collections.abc import Callable
from typing import Any

_local = threading.local()


class _CopyOncePerTransaction:
    """Stands in for the `copy` module inside moto's DynamoDB backend: within one transaction, a
    table is deep-copied once; everything else goes to `copy` unchanged."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def __init__(self, table_type: type) -> None:
        self.table_type = table_type

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        backups: dict[int, Any] | None = getattr(_local, "backups", None)
        if backups is None or not isinstance(value, self.table_type):
            return copy.deepcopy(value, memo)
        if id(value) not in backups:
            backups[id(value)] = copy.deepcopy(value, memo)
        return backups[id(value)]


def patch_moto() -> None:
    """Apply the fix to moto's DynamoDB backend (idempotent)."""
    from moto.dynamodb import models

    backend = models.DynamoDBBackend
    if getattr(backend.transact_write_items, "copies_once", False):
        return
    original: Callable[..., None] = backend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        _local.backups = {}
        try:
            return original(self, transact_items)
        finally:
            del _local.backups

    transact_write_items.copies_once = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    models.copy = _CopyOncePerTransaction(models.Table)  # type: ignore[assignment]


def settle() -> None:
    """Called once the emulator holds the provisioned (and restored) state. A full pass of the cyclic
    collector walks every object of the process (moto's models, botocore's, the table's items) and
    stalled the emulator's requests for 90-160 ms, several times a run, as transactions' backups
    filled the young generations. What exists now is frozen out of collection, and full passes run
    10 times less often (`gc.set_threshold`'s third value, 10 by default)."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


def start_emulator(port: int = 0) -> tuple[Any, str]:
    """moto's server on 127.0.0.1:`port` (0: a free one), in a thread; returns it and its endpoint."""
    from moto.server import ThreadedMotoServer

    patch_moto()
    # werkzeug logs one line per emulator request, and a traceback for each action moto lacks
    # (the client sees the HTTP 500 anyway)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"
