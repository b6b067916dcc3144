"""One faulty stack for the whole fault suite: moto as a process, the fault proxy, `covid-etl up`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support import fixtures
from support.reference import reference
from support.sources import SourceServer
from support_faults import report
from support_faults.harness import faulty_stack
from support_faults.lab import Lab

# Transactions of 10 actions: a load of these fixtures' few dozen rows then spans several, as a full
# load does on AWS, so the loader killed after its first one exercises the kept plan.
SETTINGS = {"COVID_ETL_VISIBILITY_TIMEOUT_S": "5", "COVID_ETL_MAX_RECEIVE_COUNT": "3",
            "COVID_ETL_TRANSACTION_ITEMS": "10"}


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    folder = tmp_path_factory.mktemp("faults")
    with SourceServer(folder / "sources") as sources:
        sources.put_pair(fixtures.old_pair())
        with faulty_stack(folder, sources, **SETTINGS) as (stack, proxy, moto):
            first = stack.first_run()
            assert first["status"] == "succeeded", stack.logs()
            want = reference(fixtures.old_pair())
            assert stack.table() == want
            stack.subscribe()
            yield Lab(stack, proxy, moto, sources, want)


@pytest.fixture(autouse=True)
def no_faults_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test starts and ends with the proxy passing everything through."""
    yield
    if "lab" in request.fixturenames:
        request.getfixturevalue("lab").proxy.clear()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    report.summarise(terminalreporter)
