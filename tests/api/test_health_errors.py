"""Liveness, readiness, unknown paths and methods, and unexpected errors: JSON, never a trace."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.api.fakes import FakeStore


def test_healthz_and_readyz(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}
    assert client.get("/api/v1/ping").get_json() == {"pong": True}


def test_readyz_is_503_json_when_the_table_is_unreachable(client: FlaskClient, store: FakeStore) -> None:
    store.down = True
    response = client.get("/readyz")
    assert response.status_code == 503 and response.mimetype == "application/problem+json"
    assert client.get("/healthz").status_code == 200  # liveness does not depend on the table


def test_unknown_paths_are_404_json(client: FlaskClient) -> None:
    for path in ("/api/v1/nope", "/api/v2/daily", "/nope.js", "/../../etc/passwd"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["status"] == 404


def test_wrong_method_is_405_json_with_allow(client: FlaskClient) -> None:
    response = client.post("/api/v1/daily")
    assert response.status_code == 405 and response.get_json()["title"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_error_is_a_500_problem_without_a_trace(client: FlaskClient, store: FakeStore) -> None:
    store.down = True
    response = client.get("/api/v1/daily")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert "Traceback" not in body and "ConnectionError" not in body


def test_dashboard_files_are_served_at_the_root(client: FlaskClient) -> None:
    assert b"<title>dash</title>" in client.get("/").data
    assert client.get("/config.js").mimetype in ("text/javascript", "application/javascript")


def test_openapi_document_lists_every_route(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/api/v1/daily", "/api/v1/regions", "/api/v1/revisions", "/api/v1/compare",
                                  "/api/v1/fields", "/api/v1/summary", "/api/v1/runs",
                                  "/api/v1/runs/{run_id}", "/api/v1/sources",
                                  "/api/v1/ping", "/healthz", "/readyz"}
