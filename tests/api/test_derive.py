"""The pure derivations: new counts, 7-day averages, ranges and the summary."""

from __future__ import annotations

from services.api.derive import in_range, summary, with_derived
from shared.ledger import LoadedSource
from tests.api.fakes import series


def test_first_day_has_no_new_counts_and_second_day_has_the_difference() -> None:
    rows = with_derived(series(3))
    assert rows[0]["new_cases"] is None and rows[0]["new_deaths"] is None
    assert rows[1]["new_cases"] == 20 and rows[1]["new_deaths"] == 2
    assert rows[2]["new_cases"] == 30


def test_avg7_is_null_until_seven_new_values_then_their_mean() -> None:
    rows = with_derived(series(10))
    assert [r["new_cases_avg7"] for r in rows[:7]] == [None] * 7
    # day 7 (index 7) averages new counts of days 1..7: 10*(2+..+8)/7 = 50
    assert rows[7]["new_cases_avg7"] == 50.0
    assert rows[9]["new_deaths_avg7"] == round(sum(range(4, 11)) / 7, 2)


def test_rows_are_sorted_and_a_gap_in_dates_restarts_new_counts() -> None:
    rows = series(12)
    del rows[5]
    derived = with_derived(list(reversed(rows)))
    assert [r["date"] for r in derived] == sorted(r["date"] for r in rows)
    after_gap = derived[5]
    assert after_gap["date"] == "2020-03-07" and after_gap["new_cases"] is None
    assert all(r["new_cases_avg7"] is None for r in derived)  # no 7 consecutive known days remain


def test_negative_new_counts_are_kept_as_reported() -> None:
    rows = series(3)
    rows[2]["cases"] = rows[1]["cases"] - 5
    assert with_derived(rows)[2]["new_cases"] == -5


def test_in_range_is_inclusive_and_open_ended() -> None:
    rows = with_derived(series(10))
    assert [r["date"] for r in in_range(rows, "2020-03-03", "2020-03-04")] == ["2020-03-03", "2020-03-04"]
    assert len(in_range(rows, None, "2020-03-02")) == 2
    assert len(in_range(rows, "2020-03-09", None)) == 2


def test_summary_reports_latest_day_week_change_and_last_recovered_date() -> None:
    derived = with_derived(series(21, recovered_until=15))
    nyt: LoadedSource = {"name": "nyt", "url": "http://nyt", "key": "raw/nyt/a.csv", "sha256": "a", "bytes": 1,
                         "changed": True, "last_date": "2020-03-21", "loaded_at": "t"}
    result = summary(derived, {"nyt": nyt}, {"version": "v", "rows_total": 21, "first_date": None, "last_date": None})
    assert result is not None
    assert result["date"] == "2020-03-21"
    assert result["totals"] == {"cases": derived[-1]["cases"], "deaths": derived[-1]["deaths"], "recovered": None}
    assert result["recovered_last_reported"] == "2020-03-15"
    cases = result["week_change"]["cases"]
    assert cases["avg7"] == 180.0 and cases["avg7_week_before"] == 110.0
    assert cases["change_pct"] == round(70 / 110 * 100, 1)
    assert result["sources"][0]["name"] == "nyt"


def test_summary_of_an_empty_series_is_none() -> None:
    assert summary([], {}, None) is None
