"""`GET /api/v1/daily`: shape, ranges, CSV, and every bad parameter."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient

FIELDS = ["date", "cases", "deaths", "recovered", "new_cases", "new_deaths", "new_cases_avg7", "new_deaths_avg7",
          "cases_per_100k", "deaths_per_100k"]


def test_full_series_sorted_with_every_field(client: FlaskClient) -> None:
    response = client.get("/api/v1/daily")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()["data"]
    assert len(data) == 30 and list(data[0]) == FIELDS
    assert [d["date"] for d in data] == sorted(d["date"] for d in data)
    assert data[0]["new_cases"] is None and data[20]["recovered"] is None and data[19]["recovered"] == 57


def test_range_keeps_derived_values_computed_over_the_whole_series(client: FlaskClient) -> None:
    data = client.get("/api/v1/daily?from=2020-03-10&to=2020-03-12").get_json()["data"]
    assert [d["date"] for d in data] == ["2020-03-10", "2020-03-11", "2020-03-12"]
    assert data[0]["new_cases"] == 100  # day index 9: 10 * 10
    assert data[0]["new_cases_avg7"] == 70.0  # mean of 40..100


@pytest.mark.parametrize("query, count", [("from=2020-03-29", 2), ("to=2020-03-01", 1),
                                          ("from=2021-01-01", 0), ("from=2020-03-05&to=2020-03-05", 1)])
def test_open_and_empty_ranges(client: FlaskClient, query: str, count: int) -> None:
    assert len(client.get(f"/api/v1/daily?{query}").get_json()["data"]) == count


def test_csv_export_has_a_header_and_empty_cells_for_null(client: FlaskClient) -> None:
    response = client.get("/api/v1/daily?format=csv&to=2020-03-02")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == FIELDS and len(rows) == 2
    assert rows[0]["new_cases"] == "" and rows[1]["new_cases"] == "20"


@pytest.mark.parametrize("query, parameter", [
    ("from=2020-3-1", "from"), ("to=yesterday", "to"), ("from=2020-02-30", "from"),
    ("from=2020-03-10&to=2020-03-01", "from"), ("format=xml", "format"), ("limit=5", "limit"),
    ("from=2020-03-01&from=2020-03-02", "from"),
])
def test_bad_parameters_are_400_problems_naming_the_parameter(client: FlaskClient, query: str,
                                                              parameter: str) -> None:
    response = client.get(f"/api/v1/daily?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 400 and body["parameter"] == parameter
    assert body["type"].endswith("invalid-parameter") and parameter in body["detail"]
    assert body["instance"] == "/api/v1/daily"


def test_no_data_loaded_yet_is_an_empty_series(client: FlaskClient, store, clock) -> None:  # type: ignore[no-untyped-def]
    store.load([], "run-2")
    clock.now += 5
    assert client.get("/api/v1/daily").get_json() == {"data": []}


def test_fields_are_the_series_columns_in_a_tables_order_with_their_labels(client: FlaskClient) -> None:
    response = client.get("/api/v1/fields")
    assert response.status_code == 200 and response.mimetype == "application/json"
    fields = response.get_json()["data"]
    assert [f["name"] for f in fields] == ["date", "cases", "new_cases", "new_cases_avg7", "cases_per_100k", "deaths",
                                           "new_deaths", "new_deaths_avg7", "deaths_per_100k", "recovered"]
    assert sorted(f["name"] for f in fields) == sorted(FIELDS)  # every column of /daily, none other
    assert fields[2] == {"name": "new_cases", "label": "New cases", "type": "integer", "nullable": True,
                         "source": None, "of": "cases"}
    assert (fields[3]["type"], fields[3]["label"]) == ("number", "7-day avg")
    assert (fields[9]["source"], fields[9]["nullable"], fields[1]["nullable"]) == ("jhu", True, False)
    assert (fields[4]["of"], fields[4]["type"], fields[4]["nullable"]) == ("cases", "number", True)
