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


def population(country: str, province: str = "") -> int:
    """The lookup table's population of a (country, province) row without Admin2."""
    with open(DATA / "jhu" / "UID_ISO_FIPS_LookUp_Table.csv", newline="") as f:
        for r in csv.DictReader(f):
            if (r["Country_Region"].strip(), r["Province_State"].strip(), r["Admin2"]) == (country, province, ""):
                return int(r["Population"])
    raise LookupError((country, province))


def per_100k(values: list[int], people: int) -> list[float | None]:
    """The 7-day mean of new counts per 100,000 people, computed here with plain loops."""
    new = [None] + [values[i] - values[i - 1] for i in range(1, len(values))]
    return [None if i < 7 else sum(new[i - 6:i + 1]) / 7 * 100_000 / people  # type: ignore[arg-type]
            for i in range(len(values))]


def close(got: list[float | None], want: list[float | None]) -> bool:
    # served rounded to 2 places: within half a hundredth of the unrounded value
    return all((a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 0.005 + 1e-9)
               for a, b in zip(got, want, strict=True))


def test_us_per_100k_uses_the_lookup_tables_population() -> None:
    rows = read_rows()
    people = population("US")
    store = FakeStore(version=None)
    store.commit({"US": rows}, "real", "2026-11-28T17:55:40.000+00:00", {"US": people})
    data = create_app(store).test_client().get("/api/v1/daily").get_json()["data"]
    for field in ("cases", "deaths"):
        assert close([d[f"{field}_per_100k"] for d in data], per_100k([r[field] for r in rows], people))  # type: ignore[literal-required]
    assert data[-1]["cases_per_100k"] is not None


@pytest.mark.parametrize("country, province", [("Germany", ""), ("Canada", "Ontario"), ("India", "")])
def test_jhu_series_per_100k_against_the_lookup(country: str, province: str) -> None:
    with open(DATA / "jhu" / "time-series-19-covid-combined.csv", newline="") as f:
        rows: list[DailyRow] = [{"date": r["Date"], "cases": int(r["Confirmed"]), "deaths": int(r["Deaths"]),
                                 "recovered": None} for r in csv.DictReader(f)
                                if (r["Country/Region"], r["Province/State"]) == (country, province)]
    assert len(rows) > 400
    people = population(country, province)
    store = FakeStore(version=None)
    store.commit({"R": rows}, "real", "2026-11-28T17:55:40.000+00:00", {"R": people})
    data = create_app(store).test_client().get("/api/v1/daily?region=R").get_json()["data"]
    assert close([d["cases_per_100k"] for d in data], per_100k([r["cases"] for r in rows], people))
    assert close([d["deaths_per_100k"] for d in data], per_100k([r["deaths"] for r in rows], people))
