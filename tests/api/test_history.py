"""The pure as-of reconstruction (`services.api.history`): a date's value at an instant, from the
current items and the superseded ones, as docs/regions.md defines it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.api.history import as_of, first_loaded, parse_instant, values_of
from services.api.store import RevisionRow, StoredRow

T1, T2, T3 = "2021-01-10T06:00:00.000+00:00", "2021-01-11T06:00:00.000+00:00", "2021-01-12T06:00:00Z"


def cur(day: str, cases: int, loaded_at: str, run: str) -> StoredRow:
    return {"date": day, "cases": cases, "deaths": 0, "recovered": None, "loaded_at": loaded_at, "run_id": run}


def rev(day: str, cases: int, loaded_at: str, superseded_at: str, run: str) -> RevisionRow:
    return {"date": day, "cases": cases, "deaths": 0, "recovered": None, "loaded_at": loaded_at, "run_id": run,
            "superseded_at": superseded_at, "superseded_by": None}


# 01-01 loaded by run a (T1) as 1, revised to 2 by run b (T2), to 3 by run c (T3); 01-02 loaded by b only
CURRENT = [cur("2021-01-01", 3, T3, "c"), cur("2021-01-02", 20, T2, "b")]
REVISIONS = [rev("2021-01-01", 1, T1, T2, "a"), rev("2021-01-01", 2, T2, T3, "b")]


def at(value: str) -> datetime:
    return parse_instant(value)


def cases(rows: list) -> dict[str, int]:  # type: ignore[type-arg]
    return {r["date"]: r["cases"] for r in rows}


def test_before_the_first_load_nothing() -> None:
    assert as_of(CURRENT, REVISIONS, at("2021-01-10T05:59:59Z")) == []
    assert first_loaded(CURRENT, REVISIONS) == at(T1)
    assert first_loaded([], []) is None


def test_each_instant_sees_the_value_of_its_time_and_a_date_loaded_later_is_absent() -> None:
    assert cases(as_of(CURRENT, REVISIONS, at(T1))) == {"2021-01-01": 1}  # loaded_at <= T: inclusive
    assert cases(as_of(CURRENT, REVISIONS, at("2021-01-11T05:59:59.999Z"))) == {"2021-01-01": 1}
    assert cases(as_of(CURRENT, REVISIONS, at(T2))) == {"2021-01-01": 2, "2021-01-02": 20}  # T < superseded_at
    assert cases(as_of(CURRENT, REVISIONS, at("2030-01-01"))) == {"2021-01-01": 3, "2021-01-02": 20}


def test_rows_come_back_as_rows_sorted_by_date() -> None:
    rows = as_of(list(reversed(CURRENT)), REVISIONS, at("2030-01-01"))
    assert [r["date"] for r in rows] == ["2021-01-01", "2021-01-02"]
    assert rows[0] == {"date": "2021-01-01", "cases": 3, "deaths": 0, "recovered": None}


def test_a_dates_values_oldest_first_the_current_last() -> None:
    found = values_of("2021-01-01", CURRENT, list(reversed(REVISIONS)))
    assert [(v["cases"], now) for v, now in found] == [(1, False), (2, False), (3, True)]
    assert values_of("2020-12-31", CURRENT, REVISIONS) == []


@pytest.mark.parametrize("text, expected", [
    ("2021-03-17", datetime(2021, 3, 17, 23, 59, 59, 999999, UTC)),  # a date alone: its end of day
    ("2021-03-17T12:00:00Z", datetime(2021, 3, 17, 12, tzinfo=UTC)),
    ("2021-03-17T14:00:00+02:00", datetime(2021, 3, 17, 12, tzinfo=UTC)),
    ("2021-03-17T12:00:00", datetime(2021, 3, 17, 12, tzinfo=UTC)),  # no offset: UTC
])
def test_instants(text: str, expected: datetime) -> None:
    assert parse_instant(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2021-13-01", "2021-03-17 12:00", "2021-03-17T25:00Z", ""])
def test_malformed_instants(text: str) -> None:
    with pytest.raises(ValueError):
        parse_instant(text)
