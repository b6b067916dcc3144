"""The dashboard's pure modules, imported in the browser as the page imports them: the view's URL form
(web/view.js), the picker's ranking (web/combobox.js) and the series' arithmetic (web/series.js)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import open_page
from tests.support.stack import Stack

REGIONS = [{"id": "CA", "name": "Canada", "country": "Canada", "level": "country"},
           {"id": "CA-ontario", "name": "Ontario", "country": "Canada", "level": "province"},
           {"id": "DE", "name": "Germany", "country": "Germany", "level": "country"},
           {"id": "FR-mainland", "name": "France (mainland)", "country": "France", "level": "mainland"},
           {"id": "US", "name": "United States", "country": "US", "level": "country"}]


@pytest.fixture(scope="module")
def page(browser: Any, stack: Stack) -> Iterator[Any]:
    context, page, watch = open_page(browser, stack.api + "/")
    page.wait_for_selector("#main[data-busy=false]")
    yield page
    context.close()
    assert watch.errors == []


def call(page: Any, module: str, function: str, *args: Any) -> Any:
    return page.evaluate("async ([module, name, args]) => (await import(module))[name](...args)",
                         [f"./{module}", function, list(args)])


@pytest.mark.parametrize(("search", "view", "again"), [
    ("", {"region": "US", "from": None, "to": None, "asOf": None, "compare": ["US"]}, ""),
    ("?region=FR&from=2020-03-01&to=2020-02-30x&as_of=2021-01-01T10:00:00Z&compare=US,FR,US,bad!",
     {"region": "FR", "from": "2020-03-01", "to": None, "asOf": "2021-01-01T10:00:00Z", "compare": ["US", "FR"]},
     "?region=FR&from=2020-03-01&as_of=2021-01-01T10:00:00Z&compare=US,FR"),
    ("?region=<script>&as_of=yesterday&compare=", {"region": "US", "from": None, "to": None, "asOf": None,
                                                  "compare": []}, "?compare="),
])
def test_the_url_reads_as_a_view_and_the_view_writes_the_same_url(page: Any, search: str, view: dict[str, Any],
                                                                  again: str) -> None:
    assert call(page, "view.js", "readView", search) == view
    assert call(page, "view.js", "writeView", view, {"first": "2020-01-22", "last": "2021-03-16"}) == again


def test_a_bound_equal_to_the_series_own_is_left_out_of_the_url(page: Any) -> None:
    view = {"region": "DE", "from": "2020-01-22", "to": "2021-03-16", "asOf": None, "compare": ["US"]}
    assert call(page, "view.js", "writeView", view, {"first": "2020-01-22", "last": "2021-03-16"}) == "?region=DE"


@pytest.mark.parametrize(("text", "first"), [
    ("de", ["Germany (DE)"]),  # the code itself first
    ("ca", ["Canada (CA)", "Ontario, Canada (CA-ontario)"]),
    ("ont", ["Ontario, Canada (CA-ontario)"]),
    ("mainland", ["France (mainland) (FR-mainland)"]),  # a word of the name
    ("canada", ["Canada (CA)", "Ontario, Canada (CA-ontario)"]),  # then the regions of the country
    ("zz", []),
])
def test_the_picker_ranks_codes_then_names(page: Any, text: str, first: list[str]) -> None:
    found = page.evaluate("async ([regions, text]) => { const m = await import('./combobox.js'); "
                          "return m.search(regions, text).map(m.describe); }", [REGIONS, text])
    assert found == first


def test_the_cards_of_a_series_and_the_comparisons_dates(page: Any) -> None:
    rows = [{"date": f"2020-03-{d:02}", "cases": 10 * d, "deaths": d, "recovered": None if d > 8 else d,
             "new_cases": 10, "new_deaths": 1, "new_cases_avg7": 10.0 + d, "new_deaths_avg7": 1.0}
            for d in range(1, 16)]
    summary = call(page, "series.js", "summarize", rows)
    assert summary["date"] == "2020-03-15" and summary["totals"] == {"cases": 150, "deaths": 15, "recovered": None}
    assert summary["recovered_last_reported"] == "2020-03-08"
    assert summary["week_change"]["cases"] == {"avg7": 25.0, "avg7_week_before": 18.0, "change_pct": 38.9}
    assert call(page, "series.js", "summarize", []) is None
    aligned = call(page, "series.js", "align", [
        {"points": [{"date": "2020-03-02", "value": 1.5}, {"date": "2020-03-03", "value": None}]},
        {"points": [{"date": "2020-03-01", "value": 2}, {"date": "2020-03-03", "value": 3}]}])
    assert aligned == {"dates": ["2020-03-01", "2020-03-02", "2020-03-03"],
                       "columns": [[None, 1.5, None], [2, None, 3]]}
