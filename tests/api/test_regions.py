"""`/api/v1/regions`, `/api/v1/daily?region=&as_of=`, `/api/v1/revisions` and `/api/v1/compare` over
two loads written in the table's layout by the fake store (docs/regions.md)."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.api.app import create_app
from shared.daily import DailyRow
from tests.api.fakes import FakeStore, series

T1, T2 = "2021-01-10T06:00:00.000+00:00", "2021-01-11T06:00:00.000+00:00"
RUN1, RUN2 = "20210110T060000Z-a", "20210111T060000Z-b"


def revised(rows: list[DailyRow], day: str, cases: int) -> list[DailyRow]:
    return [{**r, "cases": cases} if r["date"] == day else r for r in rows]


@pytest.fixture
def store() -> FakeStore:
    """Run 1 loads US, FR (300,000 people) and XX (no population) for 10 days; run 2 adds a day to each
    and revises FR's 2020-03-05."""
    world = FakeStore(version=None)
    world.commit({"US": series(10), "FR": series(10), "XX": series(10)}, RUN1, T1,
                 {"US": 331_000_000, "FR": 300_000}, sources={"jhu": "sha-1", "lookup": "sha-L"})
    world.commit({"US": series(11), "FR": revised(series(11), "2020-03-05", 151), "XX": series(11)}, RUN2, T2,
                 {"US": 331_000_000, "FR": 300_000}, sources={"jhu": "sha-2", "lookup": "sha-L"})
    return world


@pytest.fixture
def app(store: FakeStore) -> Flask:
    return create_app(store, check_every_s=0)


def problem(client: FlaskClient, url: str, status: int, kind: str) -> dict[str, object]:
    response = client.get(url)
    assert response.status_code == status and response.mimetype == "application/problem+json", response.data
    body = response.get_json()
    assert body["type"].endswith(kind) and body["status"] == status
    return body


def test_regions_lists_the_catalogue_sorted_by_name(client: FlaskClient) -> None:
    data = client.get("/api/v1/regions").get_json()["data"]
    assert [r["id"] for r in data] == ["FR", "XX", "US"]  # Region FR, Region XX, United States
    assert data[0] == {"id": "FR", "name": "Region FR", "country": "FR", "province": None, "level": "country",
                       "population": 300_000, "first_date": "2020-03-01", "last_date": "2020-03-11",
                       "sources": ["jhu", "lookup"]}
    assert data[1]["population"] is None


def test_regions_as_csv(client: FlaskClient) -> None:
    response = client.get("/api/v1/regions?format=csv")
    assert response.mimetype == "text/csv" and "covid-regions.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["id", "name", "country", "province", "level", "population", "first_date",
                             "last_date", "sources"]
    assert (rows[0]["id"], rows[0]["sources"], rows[1]["population"], rows[0]["province"]) == (
        "FR", "jhu;lookup", "", "")


def test_daily_of_a_region_and_the_us_by_default(client: FlaskClient) -> None:
    fr = client.get("/api/v1/daily?region=FR").get_json()["data"]
    assert len(fr) == 11 and fr[4]["cases"] == 151 and fr[4]["new_cases"] == 151 - 100
    us = client.get("/api/v1/daily").get_json()
    assert us == client.get("/api/v1/daily?region=US").get_json() and len(us["data"]) == 11
    assert client.get("/api/v1/daily?region=FR&format=csv").headers["Content-Disposition"].endswith(
        'filename="covid-fr-daily.csv"')


def test_an_unknown_region_is_a_404_problem_naming_it(client: FlaskClient) -> None:
    body = problem(client, "/api/v1/daily?region=ZZ", 404, "unknown-region")
    assert body["parameter"] == "region" and "'ZZ'" in str(body["detail"])
    problem(client, "/api/v1/revisions?region=ZZ&date=2020-03-01", 404, "unknown-region")
    problem(client, "/api/v1/compare?regions=FR,ZZ", 404, "unknown-region")


def test_per_100k_is_the_7_day_mean_of_new_counts_per_100000_people(client: FlaskClient) -> None:
    fr = client.get("/api/v1/daily?region=FR&from=2020-03-09").get_json()["data"]
    # 2020-03-09: new cases of 03-03..03-09 are 30, 40, 151-100, 210-151, 70, 80, 90 (sum 420): mean 60,
    # and 60 * 100,000 / 300,000 = 20; 03-10: 40..100 (sum 490): mean 70 -> 23.333...; new deaths 3..9: mean 6 -> 2
    assert fr[0]["new_cases_avg7"] == 60.0 and fr[0]["cases_per_100k"] == 20.0
    assert fr[0]["deaths_per_100k"] == 2.0 and fr[1]["cases_per_100k"] == 23.33
    early = client.get("/api/v1/daily?region=FR&to=2020-03-07").get_json()["data"]
    assert [d["cases_per_100k"] for d in early] == [None] * 7  # no full window yet
    xx = client.get("/api/v1/daily?region=XX").get_json()["data"]
    assert xx[-1]["new_cases_avg7"] is not None and xx[-1]["cases_per_100k"] is None  # no population


def test_per_100k_is_computed_from_the_unrounded_mean(client: FlaskClient, store: FakeStore) -> None:
    cumulative = [0, 1, 3, 4, 6, 8, 9, 10]  # new: 1, 2, 1, 2, 2, 1, 1: mean 10 / 7 = 1.428571...
    rows: list[DailyRow] = [{"date": f"2020-03-0{i + 1}", "cases": c, "deaths": 0, "recovered": None}
                            for i, c in enumerate(cumulative)]
    store.commit({"PN": rows}, "20210112T060000Z-c", "2021-01-12T06:00:00.000+00:00", {"PN": 1000})
    last = client.get("/api/v1/daily?region=PN").get_json()["data"][-1]
    # per 1,000 people: 1.428571... * 100 = 142.857... -> 142.86 (the rounded mean, 1.43, would give 143.0)
    assert last["new_cases_avg7"] == 1.43 and last["cases_per_100k"] == 142.86
    assert last["deaths_per_100k"] == 0.0


def test_a_gap_restarts_the_per_100k_window(client: FlaskClient, store: FakeStore) -> None:
    rows = [r for r in series(20) if r["date"] != "2020-03-10"]
    store.commit({"GP": rows}, "20210112T060000Z-c", "2021-01-12T06:00:00.000+00:00", {"GP": 100_000})
    data = {d["date"]: d for d in client.get("/api/v1/daily?region=GP").get_json()["data"]}
    assert data["2020-03-09"]["cases_per_100k"] == 60.0  # mean of 30..90, per 100,000 people: itself
    # after the gap the first new count is unknown: 7 known values again from 03-12 to 03-18
    assert [data[f"2020-03-{d}"]["cases_per_100k"] for d in range(11, 19)] == [None] * 7 + [150.0]


def test_as_of_between_two_loads_is_the_first_loads_series(client: FlaskClient) -> None:
    then = client.get(f"/api/v1/daily?region=FR&as_of={T1[:19]}Z").get_json()["data"]
    assert len(then) == 10 and then[4]["cases"] == 150  # the value before the revision; 03-11 not loaded yet
    assert then == client.get("/api/v1/daily?region=FR&as_of=2021-01-10").get_json()["data"]  # its end of day
    now = client.get("/api/v1/daily?region=FR&as_of=2021-01-11T06:00:00Z").get_json()["data"]
    assert now == client.get("/api/v1/daily?region=FR").get_json()["data"]


def test_as_of_before_the_first_load_is_404_and_a_malformed_one_400(client: FlaskClient) -> None:
    body = problem(client, "/api/v1/daily?region=FR&as_of=2021-01-10T05:59:59Z", 404, "not-loaded-yet")
    assert body["parameter"] == "as_of" and "2021-01-10T06:00:00+00:00" in str(body["detail"])
    for bad in ("yesterday", "2021-01-32", "2021-01-10%2012:00"):
        assert problem(client, f"/api/v1/daily?as_of={bad}", 400, "invalid-parameter")["parameter"] == "as_of"


def test_revisions_of_a_date_oldest_first_with_runs_and_sources(client: FlaskClient) -> None:
    body = client.get("/api/v1/revisions?region=FR&date=2020-03-05").get_json()
    assert (body["region"], body["date"]) == ("FR", "2020-03-05")
    assert body["data"] == [
        {"loaded_at": T1, "run_id": RUN1, "sources": {"jhu": "sha-1", "lookup": "sha-L"}, "cases": 150,
         "deaths": 15, "recovered": 12, "current": False},
        {"loaded_at": T2, "run_id": RUN2, "sources": {"jhu": "sha-2", "lookup": "sha-L"}, "cases": 151,
         "deaths": 15, "recovered": 12, "current": True}]
    one = client.get("/api/v1/revisions?region=FR&date=2020-03-04").get_json()["data"]
    assert [(d["run_id"], d["current"]) for d in one] == [(RUN1, True)]
    assert client.get("/api/v1/revisions?region=FR&date=2019-01-01").get_json()["data"] == []


def test_revisions_as_csv_and_their_bad_parameters(client: FlaskClient) -> None:
    text = client.get("/api/v1/revisions?region=FR&date=2020-03-05&format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["cases"], r["current"], r["sources"]) for r in rows] == [
        ("150", "False", "jhu=sha-1;lookup=sha-L"), ("151", "True", "jhu=sha-2;lookup=sha-L")]
    assert problem(client, "/api/v1/revisions?region=FR", 400, "invalid-parameter")["parameter"] == "date"
    assert problem(client, "/api/v1/revisions?date=2020-3-5", 400, "invalid-parameter")["parameter"] == "date"


def test_compare_gives_each_regions_points_of_one_metric(client: FlaskClient) -> None:
    body = client.get("/api/v1/compare?regions=FR,XX,FR&from=2020-03-09&to=2020-03-10").get_json()
    assert body["metric"] == "cases_per_100k"
    assert body["data"] == [
        {"region": "FR", "name": "Region FR", "population": 300_000,
         "points": [{"date": "2020-03-09", "value": 20.0}, {"date": "2020-03-10", "value": 23.33}]},
        {"region": "XX", "name": "Region XX", "population": None,
         "points": [{"date": "2020-03-09", "value": None}, {"date": "2020-03-10", "value": None}]}]
    new = client.get("/api/v1/compare?regions=US&metric=new_cases&from=2020-03-11").get_json()["data"]
    assert new[0]["points"] == [{"date": "2020-03-11", "value": 110}]


@pytest.mark.parametrize("query, parameter", [
    ("regions=" + ",".join(f"R{i}" for i in range(11)), "regions"), ("regions=", "regions"), ("", "regions"),
    ("regions=FR&metric=date", "metric"), ("regions=FR&metric=cases_per_million", "metric"),
    ("regions=FR&from=2020-03-05&to=2020-03-01", "from")])
def test_compare_bad_parameters(client: FlaskClient, query: str, parameter: str) -> None:
    assert problem(client, f"/api/v1/compare?{query}", 400, "invalid-parameter")["parameter"] == parameter


def test_ten_regions_are_allowed(client: FlaskClient) -> None:
    response = client.get("/api/v1/compare?regions=FR,XX,US,FR,XX,US,FR,XX,US,FR")
    assert response.status_code == 200 and len(response.get_json()["data"]) == 3
