"""`GET /api/v1/summary`, `/api/v1/runs` and `/api/v1/runs/<id>`."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.fakes import FakeStore, run


def test_summary_has_latest_day_new_counts_week_change_and_sources(client: FlaskClient) -> None:
    body = client.get("/api/v1/summary").get_json()
    assert body["date"] == "2020-03-30"
    assert body["totals"] == {"cases": 4650, "deaths": 465, "recovered": None}
    assert body["new"] == {"cases": 300, "deaths": 30}
    assert body["avg7"] == {"cases": 270.0, "deaths": 27.0}
    assert body["week_change"]["cases"] == {"avg7": 270.0, "avg7_week_before": 200.0, "change_pct": 35.0}
    assert body["recovered_last_reported"] == "2020-03-20"
    assert [(s["name"], s["last_date"]) for s in body["sources"]] == [("jhu", "2020-03-20"), ("nyt", "2020-03-21")]
    assert body["dataset"]["version"] == "run-1" and body["dataset"]["rows_total"] == 30
    assert "The New York Times" in body["credit"]


def test_summary_before_the_first_load_is_503(client: FlaskClient, store: FakeStore, clock) -> None:  # type: ignore[no-untyped-def]
    store.load([], "run-2")
    clock.now += 5
    response = client.get("/api/v1/summary")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["type"].endswith("no-data")


def test_summary_takes_no_parameters(client: FlaskClient) -> None:
    response = client.get("/api/v1/summary?from=2020-03-01")
    assert response.status_code == 400 and response.get_json()["parameter"] == "from"


def test_runs_newest_first_with_stages_and_limit(client: FlaskClient, store: FakeStore) -> None:
    store.run_items = [run("20261128T100000Z-a"), run("20261128T120000Z-b", "failed", error="boom"),
                       run("20261128T110000Z-c", warnings=["nyt is 4 days stale"])]
    body = client.get("/api/v1/runs").get_json()
    data = body["data"]
    assert body["stages"] == ["extract", "transform", "load", "notify"]  # in the order a run passes them
    assert [r["run_id"] for r in data] == ["20261128T120000Z-b", "20261128T110000Z-c", "20261128T100000Z-a"]
    assert data[0]["error"] == "boom" and data[1]["warnings"] == ["nyt is 4 days stale"]
    assert data[2]["stages"]["load"]["duration_ms"] == 1000
    assert len(client.get("/api/v1/runs?limit=1").get_json()["data"]) == 1
    assert client.get("/api/v1/runs").headers["Cache-Control"] == "no-cache"


def test_runs_limit_out_of_range_is_400(client: FlaskClient) -> None:
    for value in ("0", "101", "ten", "-1"):
        response = client.get(f"/api/v1/runs?limit={value}")
        assert response.status_code == 400 and response.get_json()["parameter"] == "limit"


def test_one_run_and_a_missing_run(client: FlaskClient, store: FakeStore) -> None:
    store.run_items = [run("20261128T100000Z-a", inserted=7)]
    assert client.get("/api/v1/runs/20261128T100000Z-a").get_json()["inserted"] == 7
    missing = client.get("/api/v1/runs/20990101T000000Z-x")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/api/v1/runs/%20bad%20id").status_code == 404
