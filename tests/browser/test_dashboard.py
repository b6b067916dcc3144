"""The dashboard in headless Chromium against the running stack: real data drawn, the recovered series
where JHU reported it, the date range in the URL, no console errors, usable at phone width and by keyboard."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import open_page
from tests.support.stack import Stack

CHARTS = ("chart-cases", "chart-deaths", "chart-total")


def api(stack: Stack, path: str) -> Any:
    with urllib.request.urlopen(stack.api + path, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A loaded dashboard; the test fails on any console error, page error, CSP violation or failed request."""
    context, page, watch = open_page(browser, stack.api + "/")
    page.wait_for_selector("#main[data-busy=false]", timeout=20000)
    yield page
    context.close()
    assert watch.errors == []


def drawn_pixels(page: Any, chart: str) -> int:
    """Non-transparent pixels on a chart's canvas: the chart drew something."""
    return page.evaluate("""(id) => {
        const c = document.querySelector(`#${id} canvas`);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""", chart)


def wait_for(page: Any, chart: str, **want: str) -> None:
    """Until the chart's data attributes say `want` and the range is fully shown (charts, table, URL).
    A function, not an expression: the page's CSP forbids eval."""
    page.wait_for_function("([id, want]) => document.getElementById('main').dataset.busy === 'false' && "
                           "Object.entries(want).every(([k, v]) => document.getElementById(id).dataset[k] === v)",
                           arg=[chart, want])


def shown(page: Any, chart: str) -> tuple[str | None, str | None, str | None]:
    figure = page.locator(f"#{chart}")
    return figure.get_attribute("data-points"), figure.get_attribute("data-first"), figure.get_attribute("data-last")


def test_charts_cards_table_and_sources_show_the_loaded_data(page: Any, stack: Stack) -> None:
    daily = api(stack, "/api/v1/daily")["data"]
    summary = api(stack, "/api/v1/summary")
    for chart in CHARTS:
        assert shown(page, chart) == (str(len(daily)), daily[0]["date"], daily[-1]["date"])
        assert drawn_pixels(page, chart) > 2000
    assert page.locator("#table tbody tr").count() == len(daily)
    # its rows are laid out once near the screen (content-visibility), a frame after the scroll
    page.locator("#table").scroll_into_view_if_needed()
    expect(page.locator("#table tbody tr").first.locator("th")).to_have_text(daily[-1]["date"], use_inner_text=True)
    labels = [f["label"] for f in api(stack, "/api/v1/fields")["data"]]  # the columns are the API's fields
    assert page.locator("#table thead th").all_inner_texts() == labels == [
        "Date", "Cases", "New cases", "7-day avg", "Per 100k (7-day avg)",
        "Deaths", "New deaths", "7-day avg", "Per 100k (7-day avg)", "Recovered"]
    last = page.locator("#table tbody tr").first.locator("td").all_inner_texts()
    assert last[0] == f"{daily[-1]['cases']:,}" and last[-1] == "—"  # recovered: not reported at the end
    assert f"{summary['totals']['cases']:,}" in page.locator("#cards").inner_text()
    assert f"Not reported since {summary['recovered_last_reported']}" in page.locator("#cards").inner_text()
    freshness = page.locator("#sources").inner_text()
    assert "NYT" in freshness
    assert "LOOKUP\nundated; loaded 20" in freshness  # a source without dates says when it was loaded
    page.wait_for_selector("#credits li[data-source]")  # the credits come from /api/v1/sources
    credits = [item.inner_text() for item in page.locator("#credits li[data-source]").all()]
    assert [s["attribution"] in text for s, text in zip(api(stack, "/api/v1/sources")["data"], credits,
                                                        strict=True)] == [True, True, True]
    assert "The New York Times" in page.locator("footer").inner_text()


def test_recovered_is_charted_where_jhu_reported_it_with_the_note_on_when_it_stopped(page: Any, stack: Stack) -> None:
    daily = api(stack, "/api/v1/daily")["data"]
    last_reported = api(stack, "/api/v1/summary")["recovered_last_reported"]
    reported = [d for d in daily if d["recovered"] is not None]
    assert reported and reported[-1]["date"] == last_reported and reported[-1]["date"] < daily[-1]["date"]
    assert shown(page, "chart-recovered") == (str(len(reported)), reported[0]["date"], last_reported)
    assert drawn_pixels(page, "chart-recovered") > 1000
    note = page.locator("#recovered-note").inner_text()
    assert f"JHU stopped reporting US recoveries after {last_reported}" in note
    # A range after reporting stopped: nothing drawn, and the note says why.
    page.goto(f"{stack.api}/?from={daily[-3]['date']}", wait_until="domcontentloaded")
    wait_for(page, "chart-cases", points="3")
    wait_for(page, "chart-recovered", points="0")
    assert "No recovered figures in the selected range" in page.locator("#recovered-note").inner_text()


def test_changing_the_date_range_changes_charts_table_and_url(page: Any, stack: Stack) -> None:
    daily = api(stack, "/api/v1/daily")["data"]
    start, end = daily[len(daily) // 3]["date"], daily[len(daily) // 2]["date"]
    expected = [d for d in daily if start <= d["date"] <= end]
    page.get_by_label("From", exact=True).fill(start)
    page.get_by_label("To", exact=True).fill(end)
    wait_for(page, "chart-cases", first=start, last=end)
    for chart in CHARTS:
        assert shown(page, chart)[0] == str(len(expected))
    rows = page.locator("#table tbody tr")
    assert rows.count() == len(expected)
    page.locator("#table").scroll_into_view_if_needed()
    expect(rows.first.locator("th")).to_have_text(end, use_inner_text=True)
    assert rows.last.locator("th").text_content() == start
    assert f"{expected[-1]['cases']:,}" in rows.first.inner_text()
    assert f"from={start}" in page.locator("#csv").get_attribute("href")
    assert page.evaluate("location.search") == f"?from={start}&to={end}"
    page.get_by_role("button", name="All").click()
    wait_for(page, "chart-cases", points=str(len(daily)))
    assert page.locator("#table tbody tr").count() == len(daily)
    assert page.evaluate("location.search") == ""  # the whole range: nothing pinned in the URL


def test_the_range_in_the_url_survives_a_reload_and_a_shared_link(page: Any, stack: Stack) -> None:
    daily = api(stack, "/api/v1/daily")["data"]
    start, end = daily[len(daily) // 4]["date"], daily[len(daily) // 2]["date"]
    expected = [d for d in daily if start <= d["date"] <= end]
    page.goto(f"{stack.api}/?from={start}&to={end}", wait_until="domcontentloaded")
    wait_for(page, "chart-total", last=f"{end}")
    assert shown(page, "chart-total") == (str(len(expected)), start, end)
    assert (page.input_value("#from"), page.input_value("#to")) == (start, end)
    page.get_by_label("From", exact=True).fill(daily[1]["date"])
    wait_for(page, "chart-total", first=f"{daily[1]['date']}")
    assert page.url.endswith(f"/?from={daily[1]['date']}&to={end}")
    page.reload(wait_until="domcontentloaded")
    wait_for(page, "chart-total", first=f"{daily[1]['date']}")
    assert (page.input_value("#from"), page.input_value("#to")) == (daily[1]["date"], end)
    assert shown(page, "chart-total")[2] == end
    # Out-of-range or malformed dates fall back to the dataset's bounds.
    page.goto(f"{stack.api}/?from=1999-01-01&to=not-a-date", wait_until="domcontentloaded")
    wait_for(page, "chart-total", points=f"{len(daily)}")


def test_readable_at_phone_width_and_usable_by_keyboard(browser: Any, stack: Stack) -> None:
    context, page, watch = open_page(browser, stack.api + "/", viewport={"width": 390, "height": 844},
                                     device_scale_factor=2)
    page.wait_for_selector("#main[data-busy=false]")
    page.wait_for_selector("#history tr.run")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    reached = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.id || document.activeElement.textContent"))
        if page.evaluate("document.activeElement.closest('#history') !== null"):
            break
    assert {"from", "to", "Last 90 days", "Last year", "All", "csv"} <= set(reached), reached
    page.keyboard.press("Enter")  # the first run's details open from the keyboard
    assert page.locator("#history tr.details").first.is_visible()
    context.close()
    assert watch.errors == []
