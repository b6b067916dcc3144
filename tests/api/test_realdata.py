"""An independent check of the derived values on the real sources in ../shared/data.

The expected values are computed here with the csv module and plain loops, not with the API's code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.api.app import create_app
from shared.daily import DailyRow
from tests.api.fakes import FakeStore
from tests.support.tiers import no_real_data

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
pytestmark = pytest.mark.realdata


def read_rows() -> list[DailyRow]:
    if not (DATA / "nyt" / "us.csv").is_file():
        no_real_data(f"real source snapshots not found at {DATA} (fresh clone without ../shared)")
    with open(DATA / "nyt" / "us.csv", newline="") as f:
        return [{"date": r["date"], "cases": int(r["cases"]), "deaths": int(r["deaths"]), "recovered": None}
                for r in csv.DictReader(f)]


def expected(rows: list[DailyRow], field: str) -> tuple[list[object], list[object]]:
    values = [r["cases"] if field == "cases" else r["deaths"] for r in rows]
    new: list[object] = [None] + [values[i] - values[i - 1] for i in range(1, len(values))]
    avg: list[object] = [None] * len(values)
    for i in range(7, len(values)):
        avg[i] = round(sum(new[i - 6:i + 1]) / 7, 2)  # type: ignore[arg-type]
    return new, avg


def test_new_counts_and_7_day_averages_match_an_independent_computation() -> None:
    rows = read_rows()
    client = create_app(FakeStore(rows, "real")).test_client()
    data = client.get("/api/v1/daily").get_json()["data"]
    assert len(data) == len(rows) > 700
    for field in ("cases", "deaths"):
        new, avg = expected(rows, field)
        assert [d[f"new_{field}"] for d in data] == new
        got = [d[f"new_{field}_avg7"] for d in data]
        assert all((a is None and b is None) or abs(a - b) < 0.01 for a, b in zip(got, avg, strict=True))


def test_a_range_of_real_data_keeps_its_first_days_values() -> None:
    rows = read_rows()
    client = create_app(FakeStore(rows, "real")).test_client()
    full = {d["date"]: d for d in client.get("/api/v1/daily").get_json()["data"]}
    part = client.get("/api/v1/daily?from=2021-01-01&to=2021-01-31").get_json()["data"]
    assert len(part) == 31 and part[0] == full["2021-01-01"] and part[0]["new_cases_avg7"] is not None
    summary = client.get("/api/v1/summary").get_json()
    assert summary["date"] == rows[-1]["date"] and summary["totals"]["cases"] == rows[-1]["cases"]
