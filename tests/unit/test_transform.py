"""The pure join: one test per rule, on small hand-made frames."""

from __future__ import annotations

import pandas as pd
import pytest

from services.transformer.transform import to_records, transform
from shared.daily import DailyRow


def nyt(*rows: tuple[str, int, int]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "cases", "deaths"])
    return frame.astype({"cases": "Int64", "deaths": "Int64"})


def jhu(*rows: tuple[str, int | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["date", "recovered"]).astype({"recovered": "Int64"})


def joined(n: pd.DataFrame, j: pd.DataFrame, policy: str = "inner") -> list[DailyRow]:
    frame, _ = transform({"nyt": n, "jhu": j}, policy)  # type: ignore[arg-type]
    return to_records(frame)


NYT = nyt(("2020-03-01", 10, 1), ("2020-03-02", 20, 2), ("2020-03-03", 30, 3))
JHU = jhu(("2020-03-02", 5), ("2020-03-03", 7), ("2020-03-04", 9))


def test_inner_join_keeps_dates_in_both_sources() -> None:
    assert joined(NYT, JHU) == [
        {"date": "2020-03-02", "cases": 20, "deaths": 2, "recovered": 5},
        {"date": "2020-03-03", "cases": 30, "deaths": 3, "recovered": 7},
    ]


def test_nyt_join_keeps_every_nyt_date_with_recovered_null_where_jhu_has_none() -> None:
    assert [(r["date"], r["recovered"]) for r in joined(NYT, JHU, "nyt")] == [
        ("2020-03-01", None), ("2020-03-02", 5), ("2020-03-03", 7)]


def test_unknown_join_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="join policy"):
        transform({"nyt": NYT, "jhu": JHU}, "outer")  # type: ignore[arg-type]


def test_rows_come_out_sorted_by_date_whatever_the_input_order() -> None:
    shuffled = nyt(("2020-03-03", 30, 3), ("2020-03-01", 10, 1), ("2020-03-02", 20, 2))
    assert [r["date"] for r in joined(shuffled, JHU, "nyt")] == ["2020-03-01", "2020-03-02", "2020-03-03"]


def test_empty_recovered_cell_is_null() -> None:
    assert [r["recovered"] for r in joined(NYT, jhu(("2020-03-02", None), ("2020-03-03", 4)))] == [None, 4]


def test_zero_after_once_positive_is_null() -> None:
    j = jhu(("2020-03-01", 3), ("2020-03-02", 0), ("2020-03-03", 0))
    assert [r["recovered"] for r in joined(NYT, j)] == [3, None, None]


def test_zero_before_first_positive_stays_zero() -> None:
    j = jhu(("2020-03-01", 0), ("2020-03-02", 0), ("2020-03-03", 2))
    assert [r["recovered"] for r in joined(NYT, j)] == [0, 0, 2]


def test_zero_after_a_positive_outside_the_joined_dates_is_still_null() -> None:
    # the positive value is on a date NYT does not have: the rule looks at the whole JHU series
    j = jhu(("2020-02-28", 4), ("2020-03-02", 0), ("2020-03-03", 0))
    assert [r["recovered"] for r in joined(NYT, j)] == [None, None]


def test_zero_after_a_null_that_follows_a_positive_is_null() -> None:
    j = jhu(("2020-03-01", 4), ("2020-03-02", None), ("2020-03-03", 0))
    assert [r["recovered"] for r in joined(NYT, j)] == [4, None, None]


def test_counts_are_plain_non_negative_integers() -> None:
    for record in joined(NYT, JHU, "nyt"):
        for column in ("cases", "deaths"):
            value = record[column]
            assert type(value) is int and isinstance(value, int) and value >= 0
        assert record["recovered"] is None or type(record["recovered"]) is int


def test_decreases_are_kept_and_reported_as_warnings() -> None:
    n = nyt(("2020-03-01", 10, 1), ("2020-03-02", 8, 2), ("2020-03-03", 30, 1))
    j = jhu(("2020-03-01", 1), ("2020-03-02", 2), ("2020-03-03", 3))
    frame, warnings = transform({"nyt": n, "jhu": j}, "inner")
    assert [r["cases"] for r in to_records(frame)] == [10, 8, 30]
    assert len(warnings) == 2
    assert warnings[0].startswith("nyt cases went down on 1 date(s)") and "2020-03-02 (-2)" in warnings[0]
    assert warnings[1].startswith("nyt deaths went down on 1 date(s)") and "2020-03-03 (-1)" in warnings[1]


def test_recovered_decrease_is_reported_but_the_unreported_zeros_are_not() -> None:
    j = jhu(("2020-03-01", 5), ("2020-03-02", 4), ("2020-03-03", 0))
    _, warnings = transform({"nyt": NYT, "jhu": j}, "inner")
    assert warnings == ["jhu recovered went down on 1 date(s), kept as corrections: 2020-03-02 (-1)"]


def test_no_decrease_no_warning() -> None:
    assert transform({"nyt": NYT, "jhu": JHU}, "inner")[1] == []


def test_many_decreases_are_summarised() -> None:
    rows = [(f"2020-03-{d:02d}", 100 - d, 0) for d in range(1, 10)]
    _, warnings = transform({"nyt": nyt(*rows), "jhu": jhu(("2020-03-01", 1))}, "nyt")
    assert "went down on 8 date(s)" in warnings[0] and warnings[0].endswith("and 3 more")


def test_the_us_series_takes_the_us_national_rows_of_a_whole_jhu_frame() -> None:
    whole = pd.DataFrame({"date": ["2020-03-02", "2020-03-02", "2020-03-03", "2020-03-02"],
                          "country": ["US", "US", "US", "France"], "province": ["", "Washington", "", ""],
                          "recovered": [5, 99, 7, 98]}).astype({"recovered": "Int64"})
    assert [(r["date"], r["recovered"]) for r in joined(NYT, whole)] == [("2020-03-02", 5), ("2020-03-03", 7)]
