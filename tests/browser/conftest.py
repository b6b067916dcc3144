"""The browser tier: `covid-etl up` as a real process, sources over local HTTP, headless Chromium.

Uses the real source snapshots in ../shared/data when present, else the small fixture pair in the
sources' real formats (tests/support/fixtures.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.fixtures import new_pair
from tests.support.sources import SourceServer
from tests.support.stack import Stack

REAL = Path(__file__).resolve().parents[3] / "shared" / "data"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def source_files() -> tuple[Any, Any]:
    nyt, jhu = REAL / "nyt" / "us.csv", REAL / "jhu" / "time-series-19-covid-combined.csv"
    return (nyt, jhu) if nyt.is_file() and jhu.is_file() else new_pair()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole system, its first run finished and loaded."""
    with SourceServer() as sources:
        sources.put_pair(source_files())
        with Stack.up(tmp_path_factory.mktemp("stack"), sources.url("nyt.csv"), sources.url("jhu.csv")) as up:
            run = up.first_run(timeout=180)
            assert run["status"] == "succeeded", up.logs()
            yield up


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
