"""One stack for the bad-input suite: small HTTP timeout, 2 attempts, a 64 KB size cap."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from support.reference import Row, reference
from support_faults import report
from support_faults.harness import FaultStack, faulty_stack
from support_faults.source_server import BadSources

from badinput.cases import JHU, NYT

SETTINGS = {"COVID_ETL_HTTP_TIMEOUT_S": "1", "COVID_ETL_MAX_SOURCE_BYTES": "65536",
            "COVID_ETL_VISIBILITY_TIMEOUT_S": "5", "COVID_ETL_MAX_RECEIVE_COUNT": "3"}


@dataclass
class Bench:
    stack: FaultStack
    sources: BadSources
    good: list[Row]  # the table after the clean load: every case must leave it so


@pytest.fixture(scope="package")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bench]:
    folder = tmp_path_factory.mktemp("badinput")
    sources = BadSources()
    try:
        sources.serve(NYT, JHU)
        with faulty_stack(folder, sources, **SETTINGS) as (stack, _, _):
            assert stack.first_run()["status"] == "succeeded", stack.logs()
            good = reference((NYT, JHU))
            assert stack.table() == good
            stack.subscribe()
            yield Bench(stack, sources, good)
    finally:
        sources.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report.summarise(terminalreporter)
