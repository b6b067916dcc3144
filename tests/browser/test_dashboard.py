"""The dashboard in headless Chromium against the running stack: real data drawn, the range
control changes charts and table, no console errors; screenshots go to artifacts/."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack import Stack

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHARTS = ("chart-cases", "chart-deaths", "chart-total")


def api(stack: Stack, path: str) -> Any:
    with urllib.request.urlopen(stack.api + path, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A loaded dashboard; the test fails on any console error, page error or failed API call."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(stack.api + "/")
    page.wait_for_selector("#chart-total[data-points]", timeout=20000)
    yield page
    context.close()
    assert errors == []


def drawn_pixels(page: Any, chart: str) -> int:
    """Non-transparent pixels on a chart's canvas: the chart drew something."""
    return page.evaluate("""(id) => {
        const c = document.querySelector(`#${id} canvas`);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""", chart)


def test_charts_cards_table_and_status_show_the_loaded_data(page: Any, stack: Stack) -> None:
    daily = api(stack, "/api/v1/daily")["data"]
    summary = api(stack, "/api/v1/summary")
    for chart in CHARTS:
        figure = page.locator(f"#{chart}")
        assert figure.get_attribute("data-points") == str(len(daily))
        assert figure.get_attribute("data-first") == daily[0]["date"]
        assert figure.get_attribute("data-last") == daily[-1]["date"]
        assert drawn_pixels(page, chart) > 2000
    assert page.locator("#table tbody tr").count() == len(daily)
    assert page.locator("#table tbody tr").first.locator("th").inner_text() == daily[-1]["date"]
    assert f"{summary['totals']['cases']:,}" in page.locator("#cards").inner_text()
    assert f"Not reported since {summary['recovered_last_reported']}" in page.locator("#cards").inner_text()
    pipeline = page.locator("#pipeline").inner_text()
    assert api(stack, "/api/v1/runs")["data"][0]["run_id"] in pipeline and "NYT" in pipeline
    assert "The New York Times" in page.locator("footer").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)


def test_changing_the_date_range_changes_charts_and_table(page: Any, stack: Stack) -> None:
    daily = api(stack, "/api/v1/daily")["data"]
    start, end = daily[len(daily) // 3]["date"], daily[len(daily) // 2]["date"]
    expected = [d for d in daily if start <= d["date"] <= end]
    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("To", exact=True).fill(end)
    page.wait_for_function(f"document.querySelector('#chart-cases').dataset.last === '{end}'"
                           f" && document.querySelector('#chart-cases').dataset.first === '{start}'")
    for chart in CHARTS:
        assert page.locator(f"#{chart}").get_attribute("data-points") == str(len(expected))
    rows = page.locator("#table tbody tr")
    assert rows.count() == len(expected)
    assert rows.first.locator("th").inner_text() == end and rows.last.locator("th").inner_text() == start
    assert f"{expected[-1]['cases']:,}" in rows.first.inner_text()
    assert f"from={start}" in page.locator("#csv").get_attribute("href")
    page.get_by_role("button", name="All").click()
    page.wait_for_function(f"document.querySelector('#table tbody').rows.length === {len(daily)}")


def test_readable_at_phone_width_and_usable_by_keyboard(browser: Any, stack: Stack) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    page.goto(stack.api + "/")
    page.wait_for_selector("#chart-total[data-points]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(3):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") in ("from", "to")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=False)
    context.close()
