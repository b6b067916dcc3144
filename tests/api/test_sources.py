"""`GET /api/v1/sources`: the declared sources' credits, what the dashboard's footer shows."""

from __future__ import annotations

from flask.testing import FlaskClient


def test_sources_lists_each_declared_source_with_its_licence_and_credit(client: FlaskClient) -> None:
    response = client.get("/api/v1/sources")
    assert response.status_code == 200 and response.headers["ETag"]
    data = {s["name"]: s for s in response.get_json()["data"]}
    assert list(data) == ["nyt", "jhu", "lookup"]
    assert "The New York Times" in data["nyt"]["attribution"] and data["nyt"]["contributes"] == ["cases", "deaths"]
    assert data["jhu"]["contributes"] == ["recovered"] and data["jhu"]["licence"] == "ODC-PDDL"
    lookup = data["lookup"]
    assert (lookup["required"], lookup["contributes"], lookup["licence"]) == (False, [], "CC BY 4.0")
    assert "Johns Hopkins University" in lookup["attribution"]


def test_sources_takes_no_parameters(client: FlaskClient) -> None:
    response = client.get("/api/v1/sources?name=nyt")
    assert response.status_code == 400 and response.get_json()["parameter"] == "name"


def test_the_summarys_credit_names_every_source(client: FlaskClient) -> None:
    credit = client.get("/api/v1/summary").get_json()["credit"]
    assert "The New York Times" in credit and "datasets/covid-19" in credit and "CC BY 4.0" in credit
