"""Every region on the dashboard: the picker (by name or code, from the keyboard), the view in the URL
(on load, on back and forward), the comparison per 100,000, a date's revisions and the "as of" view,
against the stack's real API over the regions and revisions of `tests/browser/seed.py`."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import Made, axe_violations, open_page
from tests.browser.test_dashboard import api, drawn_pixels, shown, wait_for
from tests.support.stack import Stack


@pytest.fixture
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A loaded dashboard; the test fails on any console error, page error, CSP violation or failed request."""
    context, page, watch = open_page(browser, stack.api + "/")
    page.wait_for_selector("#main[data-busy=false]", timeout=20000)
    yield page
    context.close()
    assert watch.errors == []


def daily(stack: Stack, region: str, **params: str) -> list[dict[str, Any]]:
    return api(stack, "/api/v1/daily?" + urllib.parse.urlencode({"region": region, **params}))["data"]  # type: ignore[no-any-return]


def showing(page: Any, region: str, points: int) -> None:
    """Until the page shows `region`'s series whole (its name in the heading, every point drawn)."""
    page.wait_for_function("([name, points]) => document.getElementById('main').dataset.busy === 'false' && "
                           "document.getElementById('region-name').textContent === name && "
                           "document.getElementById('chart-total').dataset.points === String(points)",
                           arg=[region, points])


def search(page: Any) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(page.evaluate("location.search").lstrip("?")))


def test_the_picker_finds_a_region_by_name_or_code_and_the_keyboard_chooses_it(page: Any, stack: Stack) -> None:
    regions = {r["id"]: r for r in api(stack, "/api/v1/regions")["data"]}
    assert {"US", "US-JHU", "DE", "CA", "CA-ontario"} <= set(regions)
    field = page.get_by_role("combobox", name="Region (name or code)")
    assert field.input_value() == "United States"
    field.focus()
    page.keyboard.type("onta")  # by name: the list opens, its first match active
    assert field.get_attribute("aria-expanded") == "true"
    active = page.locator(f"#{field.get_attribute('aria-activedescendant')}")
    assert active.inner_text() == "Ontario, Canada (CA-ontario)" and active.get_attribute("aria-selected") == "true"
    page.keyboard.press("Enter")
    ontario = daily(stack, "CA-ontario")
    showing(page, "Ontario", len(ontario))
    assert field.get_attribute("aria-expanded") == "false"
    assert search(page) == {"region": "CA-ontario"}
    assert shown(page, "chart-total") == (str(len(ontario)), ontario[0]["date"], ontario[-1]["date"])
    assert page.locator("#table tbody tr").first.locator("td").first.text_content() == f"{ontario[-1]['cases']:,}"
    assert f"{ontario[-1]['cases']:,}" in page.locator("#card-cases").inner_text()
    assert drawn_pixels(page, "chart-cases") > 2000
    # By code, and the arrow keys move through the matches: "de" puts Germany's code first
    field.focus()
    page.keyboard.type("de")
    options = page.locator("#region-options [role=option]").all_inner_texts()
    assert options[0] == "Germany (DE)", options
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    germany = daily(stack, "DE")
    showing(page, "Germany", len(germany))
    assert search(page) == {"region": "DE"}
    assert page.title().startswith("Germany")
    # Escape closes the list without choosing
    field.focus()
    page.keyboard.type("fra")
    page.keyboard.press("Escape")
    assert page.locator("#region-options").is_hidden() and search(page) == {"region": "DE"}


def test_the_region_and_range_in_the_url_are_restored_on_load_and_on_back_and_forward(page: Any, stack: Stack) -> None:
    germany = daily(stack, "DE")
    first, last = len(germany) // 4, len(germany) // 2  # (the fixtures' series are short, the real ones long)
    start, end, days = germany[first]["date"], germany[last]["date"], last - first + 1
    page.goto(f"{stack.api}/?region=DE&from={start}&to={end}", wait_until="domcontentloaded")
    showing(page, "Germany", days)
    assert shown(page, "chart-total") == (str(days), start, end)
    assert page.get_by_role("combobox", name="Region (name or code)").input_value() == "Germany"
    assert (page.input_value("#from"), page.input_value("#to")) == (start, end)
    field = page.get_by_role("combobox", name="Region (name or code)")
    field.focus()
    page.keyboard.type("Canada")
    page.keyboard.press("Enter")
    showing(page, "Canada", days)  # the range is kept
    assert search(page) == {"region": "CA", "from": start, "to": end}
    page.go_back()
    showing(page, "Germany", days)
    assert field.input_value() == "Germany" and search(page) == {"region": "DE", "from": start, "to": end}
    page.go_forward()
    showing(page, "Canada", days)
    canada = daily(stack, "CA")
    assert page.locator("#table tbody tr").first.locator("td").first.text_content() == \
        f"{next(d for d in canada if d['date'] == end)['cases']:,}"
    page.go_back()
    page.go_back()  # the page as it opened: the US, whole
    showing(page, "United States", len(daily(stack, "US")))
    assert search(page) == {}
    page.goto(f"{stack.api}/?region=no-such-place&compare=DE,nowhere", wait_until="domcontentloaded")
    showing(page, "United States", len(daily(stack, "US")))
    assert 'There is no region "no-such-place"' in page.locator("#status").inner_text()
    assert 'No region "nowhere" to compare' in page.locator("#status").inner_text()
    compared(page, "DE")
    assert search(page) == {"compare": "DE"}  # the URL says what is shown


def compared(page: Any, regions: str) -> None:
    page.locator("#chart-compare").scroll_into_view_if_needed()  # it is drawn once near the viewport
    page.wait_for_function("(ids) => { const f = document.getElementById('chart-compare'); "
                           "return f.dataset.state === 'ready' && f.dataset.regions === ids; }", arg=regions)


def add(page: Any, text: str) -> None:
    field = page.get_by_role("combobox", name="Add a region")
    field.focus()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def test_the_comparison_adds_up_to_five_regions_per_100k_and_keeps_them_in_the_url(page: Any, stack: Stack) -> None:
    compared(page, "US")
    for text, ids in (("Germany", "US,DE"), ("CA-ontario", "US,DE,CA-ontario"),
                      ("Quebec", "US,DE,CA-ontario,CA-quebec"), ("US (Johns", "US,DE,CA-ontario,CA-quebec,US-JHU")):
        add(page, text)
        compared(page, ids)
        assert search(page) == {"compare": ids}
    assert page.get_by_role("combobox", name="Add a region").is_disabled()  # five: remove one to add another
    chips = page.locator("#compare-list li").all_inner_texts()
    assert [c.replace("×", "").strip() for c in chips] == \
        ["United States", "Germany", "Ontario", "Quebec", "US (Johns Hopkins)"]
    answer = api(stack, "/api/v1/compare?regions=US,DE,CA-ontario,CA-quebec,US-JHU&metric=cases_per_100k")["data"]
    dates = {p["date"] for s in answer for p in s["points"]}
    assert page.locator("#chart-compare").get_attribute("data-points") == str(len(dates))
    assert drawn_pixels(page, "chart-compare") > 2000
    assert [s["region"] for s in answer] == ["US", "DE", "CA-ontario", "CA-quebec", "US-JHU"]
    page.get_by_role("button", name="Remove Germany from the comparison").click()
    compared(page, "US,CA-ontario,CA-quebec,US-JHU")
    assert page.get_by_role("combobox", name="Add a region").is_enabled()
    page.reload(wait_until="domcontentloaded")
    compared(page, "US,CA-ontario,CA-quebec,US-JHU")
    page.go_back()  # before the removal
    compared(page, "US,DE,CA-ontario,CA-quebec,US-JHU")


def revised(made: Made) -> tuple[str, str]:
    """A region other than the US and a date the second load revised."""
    return next((r, d) for r, d in made.revised if r != "US")


def test_a_dates_revisions_by_keyboard_and_by_a_click_on_the_chart(page: Any, stack: Stack, made: Made) -> None:
    assert made.loads is not None
    region, day = revised(made)
    history = api(stack, f"/api/v1/revisions?region={region}&date={day}")["data"]
    assert len(history) >= 2 and history[-1]["current"] and not history[0]["current"]
    series = daily(stack, region)
    page.goto(f"{stack.api}/?region={region}", wait_until="domcontentloaded")
    page.wait_for_selector("#main[data-busy=false]")
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_role("button", name="Show its revisions").focus()
    page.keyboard.press("Enter")
    page.wait_for_function("(d) => document.getElementById('revisions').dataset.date === d && "
                           "document.getElementById('revisions').dataset.state === 'ready'", arg=day)
    rows = page.locator("#revisions-table tbody tr")
    assert rows.count() == len(history)
    first = rows.first.locator("th, td").all_inner_texts()
    old, new = made.loads
    assert first[0].startswith(old.loaded_at[:19].replace("T", " ")) and first[1] == old.run_id
    assert first[2] == f"{history[0]['cases']:,}"
    assert old.sources["jhu"][:12] in first[5]
    last = rows.last.locator("th, td").all_inner_texts()
    assert "current" in last[0] and last[1] == new.run_id
    assert f"revised {len(history) - 1} time" in page.locator("#revisions-state").inner_text()
    # A click on the chart's point: a five-day range, its middle clicked
    middle = len(series) // 2
    other = series[middle]["date"]
    start, end = series[middle - 2]["date"], series[middle + 2]["date"]
    page.goto(f"{stack.api}/?region={region}&from={start}&to={end}", wait_until="domcontentloaded")
    wait_for(page, "chart-total", points="5")
    page.locator("#chart-total .u-over").click()
    page.wait_for_function("(d) => document.getElementById('revisions').dataset.date === d && "
                           "document.getElementById('revisions').dataset.state === 'ready'", arg=other)
    assert page.input_value("#rev-date") == other
    count = len(api(stack, f"/api/v1/revisions?region={region}&date={other}")["data"])
    assert page.locator("#revisions-table tbody tr").count() == count


def between(made: Made) -> str:
    """An instant (whole seconds, as the field takes it) after the first load and before the second."""
    assert made.loads is not None
    old, new = (datetime.fromisoformat(load.loaded_at.replace("Z", "+00:00")) for load in made.loads)
    at = old.replace(microsecond=0) + timedelta(seconds=1)
    assert at < new, made.loads
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def test_as_of_shows_the_past_view_and_clears_back_to_the_current_data(browser: Any, stack: Stack, made: Made) -> None:
    # The instant before the first load is refused by the API (404): the one failed request allowed
    context, page, watch = open_page(browser, stack.api + "/", allowed=("404", "status of 404"))
    region, day = revised(made)
    at = between(made)
    past, now = daily(stack, region, as_of=at + "Z"), daily(stack, region)
    assert past[-1]["date"] < now[-1]["date"]
    page.goto(f"{stack.api}/?region={region}", wait_until="domcontentloaded")
    page.wait_for_selector("#main[data-busy=false]")
    page.get_by_label("Data as known at (UTC)").fill(at)
    page.get_by_role("button", name="Show past view").click()
    page.wait_for_function("(n) => document.getElementById('main').dataset.busy === 'false' && "
                           "document.getElementById('chart-total').dataset.points === String(n)", arg=len(past))
    assert search(page) == {"region": region, "as_of": at + "Z"}
    assert "past" in (page.locator("#as-of-state").get_attribute("class") or "")
    assert "Past view" in page.locator("#as-of-state").inner_text()
    assert shown(page, "chart-total") == (str(len(past)), past[0]["date"], past[-1]["date"])
    was = next(d for d in past if d["date"] == day)
    row = page.locator("#table tbody tr", has=page.locator(f"th:text-is('{day}')"))
    assert row.locator("td").first.text_content() == f"{was['cases']:,}"
    assert axe_violations(page) == []  # the past view's banner too
    page.reload(wait_until="domcontentloaded")  # the URL keeps it
    page.wait_for_selector("#main[data-busy=false]")
    assert shown(page, "chart-total")[0] == str(len(past))
    assert page.input_value("#as-of") in (at, at.removesuffix(":00"))  # (the field drops zero seconds)
    page.get_by_role("button", name="Current data").click()
    page.wait_for_function("(n) => document.getElementById('main').dataset.busy === 'false' && "
                           "document.getElementById('chart-total').dataset.points === String(n)", arg=len(now))
    assert search(page) == {"region": region}
    assert "Current data" in page.locator("#as-of-state").inner_text()
    # Before the first load there is no past view: said, and the current data stay
    page.get_by_label("Data as known at (UTC)").fill("2001-01-01T00:00:00")
    page.get_by_role("button", name="Show past view").click()
    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('No past view')")
    assert search(page) == {"region": region} and shown(page, "chart-total")[0] == str(len(now))
    context.close()
    assert watch.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violations_with_the_list_open_and_a_dates_revisions(browser: Any, stack: Stack, made: Made,
                                                                        scheme: str) -> None:
    region, day = revised(made)
    ids = ",".join(dict.fromkeys(["US", "DE", region]))
    context, page, watch = open_page(browser, f"{stack.api}/?region={region}&compare={ids}", color_scheme=scheme)
    page.wait_for_selector("#main[data-busy=false]")
    compared(page, ids)
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_role("button", name="Show its revisions").click()
    page.wait_for_selector("#revisions[data-date]")
    page.get_by_role("combobox", name="Region (name or code)").focus()
    page.keyboard.type("a")
    assert page.locator("#region-options").is_visible()
    violations = axe_violations(page)
    context.close()
    assert violations == []
    assert watch.errors == []
