"""Security headers on every response (pages, data, problems, 304s, Lambda), and a dashboard that
satisfies the policy: no inline script, no inline style, nothing from another origin."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.api.lambda_function import handler
from services.api.security_headers import content_security_policy
from tests.api.fakes import FakeStore, run
from tests.api.test_lambda import v1, v2

WEB = Path(__file__).resolve().parents[2] / "web"
PATHS = ("/", "/config.js", "/api/v1/daily", "/api/v1/daily?format=csv", "/api/v1/summary", "/api/v1/runs",
         "/api/v1/runs/20261128T100000Z-a", "/api/v1/openapi.json", "/healthz", "/readyz",
         "/api/v1/daily?from=nope", "/api/v1/runs/none", "/no/such/file.js", "/api/v1/regions",
         "/api/v1/daily?region=nowhere", "/api/v1/compare?regions=US", "/api/v1/revisions?date=2020-03-01")


def assert_secure(headers: Any) -> None:
    get = headers.get
    csp = get("Content-Security-Policy") or ""
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert get("X-Content-Type-Options") == "nosniff"
    assert get("Referrer-Policy") == "no-referrer"


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_headers(client: FlaskClient, store: FakeStore, path: str) -> None:
    store.run_items = [run("20261128T100000Z-a")]
    response = client.get(path)
    assert response.status_code in (200, 400, 404), response.status_code
    assert_secure(response.headers)


def test_errors_and_not_modified_carry_them_too(client: FlaskClient, store: FakeStore) -> None:
    first = client.get("/api/v1/daily")
    not_modified = client.get("/api/v1/daily", headers={"If-None-Match": first.headers["ETag"]})
    assert not_modified.status_code == 304
    assert_secure(not_modified.headers)
    assert_secure(client.post("/api/v1/daily").headers)  # 405
    store.down = True
    failed = client.get("/api/v1/runs")  # read live, so the store's failure is a 500
    assert failed.status_code == 500
    assert_secure(failed.headers)


def test_the_lambda_adapter_passes_them_through(app: Flask) -> None:
    for event in (v2("/api/v1/summary"), v2("/api/v1/daily", headers={"accept-encoding": "gzip"}),
                  v1("/"), v1("/nope")):
        assert_secure(handler(event, None, app)["headers"])


def test_a_static_deployment_may_also_fetch_the_api_origin() -> None:
    csp = content_security_policy("https://abc.execute-api.us-east-1.amazonaws.com")
    assert "connect-src 'self' https://abc.execute-api.us-east-1.amazonaws.com;" in csp


class _Inline(HTMLParser):
    """Collects what a `'self'`-only policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.blocked.append("<style>")
        if tag == "script" and not names.get("src"):
            self.blocked.append("inline <script>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.blocked.append(f"{tag} {name}=")
            if name in ("src", "href") and value and re.match(r"(https?:)?//", value) and tag != "a":
                self.blocked.append(f"{tag} from {value}")


def test_the_dashboard_has_no_inline_script_or_style() -> None:
    parser = _Inline()
    parser.feed((WEB / "index.html").read_text())
    assert parser.blocked == []
    for script in WEB.glob("*.js"):
        source = script.read_text()
        assert not re.search(r"innerHTML|setAttribute\(\s*[\"']style|\.on\w+\s*=|eval\(|new Function", source), script
