"""The embedded AWS emulator: moto's server, with three fixes to its costs per request.

moto 5.2.5's `transact_write_items` deep-copies the whole table before a transaction so that it can
roll back, and does so once per action: a 100-put transaction copied the table 100 times (on the
series' table a 25-put one took 155 ms against 3.6 ms as a BatchWriteItem; a full load spent 1.7 s
of the pipeline's 1.9 s there). A first fix copied each table once per transaction, which still
cost ~7 ms per transaction on 500 items (`bench/transactions.py`) and grew with the table (rows,
runs and claims share it). `covid_etl/local/moto_transactions.py` now rolls back by an undo log: before
each action, the one item it touches (or its absence) is remembered, and a cancelled transaction
puts back exactly those keys. No table is copied, so a transaction's cost no longer grows with the
table. It is also closer to DynamoDB: the server is threaded, and putting a whole-table copy back
discarded what other requests had written to other items while the transaction ran; the undo log
leaves them alone. tests/integration/test_emulator.py checks the copies, the rollbacks, moto's
errors and that case. `covid_etl/local/moto_serialize.py` writes DynamoDB attribute values that are in wire
form as they are instead of rebuilding them member by member (the same bytes, at less than half the
cost for a run's record), and `remember_backends` keeps the service of each host it has seen.

`start_emulator` is what `covid-etl up`, the test suite and the benchmarks run. `up` also keeps the
cyclic garbage collector's full passes out of the emulator's way (`settle`).

The fixes replace private parts of moto and werkzeug (a fork of one method, a serializer's member, a
server's entry and its handler's `run_wsgi`), so they hold for the versions they were written for
alone: `WRITTEN_FOR`, pinned by requirements-local.lock, and checked before moto is imported.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from importlib import metadata
from typing import Any

# What the fixes were written for and tested against (requirements-local.lock, pyproject's `local` extra).
WRITTEN_FOR = {"moto": "5.2.5", "werkzeug": "3.1.9"}


class WrongVersion(RuntimeError):
    """moto or werkzeug is missing or not the version that the emulator's fixes were written for."""


def check_versions(installed: Callable[[str], str] = metadata.version) -> None:
    """`WrongVersion` unless moto and werkzeug are exactly `WRITTEN_FOR`'s versions."""
    for package, wanted in WRITTEN_FOR.items():
        try:
            found = installed(package)
        except metadata.PackageNotFoundError:
            found = "none"
        if found != wanted:
            raise WrongVersion(f"the embedded emulator's patches were written for {package} {wanted}; found "
                               f"{found}: install requirements-local.lock (make run does)")


def patch_moto() -> None:
    """Make moto's DynamoDB transactions roll back by an undo log, its DynamoDB responses write
    attribute values as they are (`covid_etl.local.moto_serialize`), its Queries read one partition
    (`covid_etl.local.moto_query`), and its server find a request's
    service once per host (`remember_backends`); idempotent. `WrongVersion` on another moto."""
    check_versions()
    from moto.dynamodb.models import DynamoDBBackend

    from covid_etl.local import moto_query, moto_serialize, moto_transactions

    DynamoDBBackend.transact_write_items = moto_transactions.transact_write_items  # type: ignore[method-assign]
    moto_serialize.install()
    moto_query.install()  # a Query reads its partition, not the whole table sorted
    remember_backends()


def remember_backends() -> None:
    """moto's server finds the service of every request anew, under one lock for all its threads: it
    lists moto's package folder (a listdir and ~150 isdir calls) and tries ~200 URL patterns on the
    host. py-spy put 12% of the emulator's busy time during the benchmark's runs there. The answer
    depends only on the host and on moto's installed files, so it is kept per host."""
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lookup: Any = DomainDispatcherApplication.get_backend_for_host
    if getattr(lookup, "remembered", False):
        return
    known: dict[str | None, Any] = {}

    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host not in known:
            known[host] = lookup(self, host)
        return known[host]

    get_backend_for_host.remembered = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]
    modules = tuple(backends.list_of_moto_modules())  # what else calls it gets the same, listed once
    backends.list_of_moto_modules = lambda: modules


def settle() -> None:
    """Called once the emulator holds the provisioned (and restored) state. A full pass of the cyclic
    collector walks every object of the process (moto's models, botocore's, the table's items) and
    stalled the emulator's requests for 90-160 ms, several times a run, as transactions' table
    backups (before the undo log) filled the young generations. What exists now is frozen out of
    collection, and full passes run 10 times less often (`gc.set_threshold`'s third value, 10 by default)."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


def start_emulator(port: int = 0) -> tuple[Any, str]:
    """moto's server on 127.0.0.1:`port` (0: a free one), in a thread, keeping its connections alive
    (`covid_etl.local.keepalive`); returns it and its endpoint. `WrongVersion` on another moto or werkzeug."""
    check_versions()
    from covid_etl.local.keepalive import KeepAliveMotoServer

    patch_moto()
    # werkzeug logs one line per emulator request, and a traceback for each action moto lacks
    # (the client sees the HTTP 500 anyway)
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = KeepAliveMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"
