"""A first run that cannot reach its source: the dashboard says why, and how to run on local files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.sources import offline_recipe
from tests.browser.conftest import ARTIFACTS, axe_violations, open_page
from tests.support.fixtures import new_pair
from tests.support.sources import SourceServer
from tests.support.stack import Stack

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack whose first run failed: nothing listens where the NYT file should be."""
    with SourceServer() as sources:
        sources.put_pair(new_pair())
        sources.fail("/nyt.csv", 404)
        with Stack.up(tmp_path_factory.mktemp("broken"), sources.url("nyt.csv"), sources.url("jhu.csv")) as up:
            first = up.first_run(timeout=120)
            assert first["status"] == "failed", up.logs()
            yield up


def test_no_data_and_a_failed_run_show_the_reason_and_the_local_files_recipe(browser: Any, broken: Stack) -> None:
    # The summary's 503 is how the API says "no data yet"; it is the one failed request allowed.
    context, page, watch = open_page(browser, broken.api + "/", allowed=("503", "status of 503"))
    page.wait_for_selector("#empty:not([hidden])")
    run = broken.runs()[0]
    reason = page.locator("#empty-reason").inner_text()
    assert run["run_id"] in reason and "failed in extract" in reason
    assert run["error"] in reason and "404" in reason
    recipe = page.locator("#empty-recipe pre").inner_text()
    assert recipe.split() == offline_recipe().split()  # every declared source's local copy
    assert all(word in README.read_text() for word in recipe.split() if word != "\\")  # the README's recipe
    assert page.locator("#data").is_hidden()
    assert page.locator("#history tr.run.failed").count() == 1  # the history still shows the run
    page.locator("#history tr.run button").click()
    assert axe_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-empty.png"))
    context.close()
    assert watch.errors == []
