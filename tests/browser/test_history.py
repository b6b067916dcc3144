"""The pipeline history panel against the runs this tier made: a successful first run, a failed run
(the NYT file answered 404), a successful run on newer data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.browser.conftest import TIMEOUT_MS, Made, open_page
from tests.browser.test_dashboard import api
from tests.support.stack import Stack


def duration(ms: int) -> str:
    """The dashboard's duration format (web/history.js), halves rounded up as JavaScript does."""
    if ms < 1000:
        return f"{ms} ms"
    if ms < 59950:
        return f"{(ms + 50) // 100 / 10:.1f} s"
    s = (ms + 500) // 1000
    return f"{s // 60} min {s % 60} s"


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    context, page, watch = open_page(browser, stack.api + "/")
    page.wait_for_selector("#history tr.run")
    yield page
    context.close()
    assert watch.errors == []


def cells(row: Any) -> list[str]:
    return [c.strip() for c in row.locator(":scope > th, :scope > td").all_inner_texts()]


def test_the_panel_lists_the_runs_newest_first_with_their_counts(page: Any, stack: Stack, made: Made) -> None:
    runs = api(stack, "/api/v1/runs?limit=30")["data"]
    assert [r["run_id"] for r in runs] == [made.succeeded["run_id"], made.failed["run_id"], made.first["run_id"]]
    rows = page.locator("#history tr.run")
    assert rows.count() == len(runs)
    for i, run in enumerate(runs):
        row = rows.nth(i)
        assert row.get_attribute("data-run-id") == run["run_id"]
        assert row.get_attribute("data-status") == run["status"]
        started = run["started_at"][:19].replace("T", " ")
        took = (datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"]))
        shown = cells(row)
        assert shown[0].startswith(started)
        assert shown[1:] == [run["trigger"], run["status"], duration(round(took.total_seconds() * 1000)),
                             f"{run['inserted']:,}", f"{run['updated']:,}", str(len(run["warnings"]))]
    assert cells(rows.nth(0))[4] == f"{made.succeeded['inserted']:,}" and cells(rows.nth(0))[1] == "cli"
    assert cells(rows.nth(2))[1] == "startup"


def test_a_failed_run_stands_out(page: Any) -> None:
    failed, ok = page.locator("#history tr.run.failed"), page.locator("#history tr.run.succeeded").first
    assert failed.count() == 1
    background = "(el) => getComputedStyle(el.querySelector('td')).backgroundColor"
    assert failed.evaluate(background) != ok.evaluate(background)
    assert failed.locator(".badge.failed").inner_text() == "failed"


def test_a_failed_run_opens_onto_its_stages_and_error(page: Any, made: Made) -> None:
    row = page.locator(f"#history tr.run[data-run-id='{made.failed['run_id']}']")
    details = page.locator(f"#{row.locator('button').get_attribute('aria-controls')}")
    assert not details.is_visible()
    row.locator("button").click()
    assert details.is_visible() and row.locator("button").get_attribute("aria-expanded") == "true"
    stages = details.locator("tbody tr")
    extract = cells(stages.filter(has_text="extract"))
    assert extract[1] == "failed" and "404" in extract[4] and extract[3].endswith("ms")
    assert "transform" not in details.inner_text()  # the run never got there
    assert "Warnings (0)" in details.inner_text()
    assert made.failed["error"] in details.locator("p.error-text").inner_text()
    assert f"Run {made.failed['run_id']}: failed in extract; it loaded nothing" in details.inner_text()
    row.locator("button").click()
    assert not details.is_visible()


def test_a_successful_run_opens_onto_every_stage_with_timings_and_its_warnings(page: Any, stack: Stack,
                                                                              made: Made) -> None:
    run = api(stack, f"/api/v1/runs/{made.succeeded['run_id']}")
    row = page.locator(f"#history tr.run[data-run-id='{run['run_id']}']")
    row.locator("button").focus()
    page.keyboard.press("Enter")
    details = page.locator(f"#{row.locator('button').get_attribute('aria-controls')}")
    assert details.is_visible()
    stages = {cells(r)[0]: cells(r) for r in details.locator("tbody tr").all()}
    assert list(stages) == ["extract", "transform", "load", "notify"]
    for name, shown in stages.items():
        assert shown[1] == "succeeded" and shown[3] == duration(run["stages"][name]["duration_ms"]), shown
    assert details.locator("li").all_inner_texts() == run["warnings"] == made.succeeded["warnings"]
    assert f"Warnings ({len(run['warnings'])})" in details.inner_text()
    assert f"{run['inserted']:,} inserted, {run['updated']:,} updated" in details.inner_text()


def test_a_runs_stages_are_shown_in_the_order_the_api_gives(browser: Any, stack: Stack, made: Made) -> None:
    """The dashboard keeps no stage list of its own: reverse `/api/v1/runs`' `stages` and the stages turn."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)

    def reversed_stages(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        assert body["stages"] == ["extract", "transform", "load", "notify"]
        route.fulfill(response=response, json={**body, "stages": body["stages"][::-1]})

    context.route("**/api/v1/runs?*", reversed_stages)
    page = context.new_page()
    page.goto(stack.api + "/", wait_until="domcontentloaded")
    row = page.locator(f"#history tr.run[data-run-id='{made.succeeded['run_id']}']")
    row.locator("button").click()
    details = page.locator(f"#{row.locator('button').get_attribute('aria-controls')}")
    assert [cells(r)[0] for r in details.locator("tbody tr").all()] == ["notify", "load", "transform", "extract"]
    context.close()
