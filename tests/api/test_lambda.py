"""The Lambda adapter: API Gateway HTTP API (v2) and REST API (v1) events through the same app."""

from __future__ import annotations

import base64
import gzip
import json

from flask import Flask

from services.api.lambda_function import handler


def v2(path: str, query: str = "", headers: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    return {"version": "2.0", "rawPath": path, "rawQueryString": query, "headers": headers or {},
            "requestContext": {"http": {"method": "GET", "sourceIp": "1.2.3.4"}}, "isBase64Encoded": False}


def v1(path: str, query: dict[str, list[str]] | None = None) -> dict:  # type: ignore[type-arg]
    return {"httpMethod": "GET", "path": path, "multiValueQueryStringParameters": query,
            "headers": {"Host": "api.example"}, "requestContext": {"identity": {"sourceIp": "1.2.3.4"}},
            "body": None, "isBase64Encoded": False}


def test_v2_event_reads_the_range(app: Flask) -> None:
    result = handler(v2("/api/v1/daily", "from=2020-03-02&to=2020-03-03"), None, app)
    assert result["statusCode"] == 200 and not result["isBase64Encoded"]
    assert [d["date"] for d in json.loads(result["body"])["data"]] == ["2020-03-02", "2020-03-03"]
    assert result["headers"]["ETag"].startswith('"run-1.')


def test_v1_event_with_multi_value_query_and_problem(app: Flask) -> None:
    result = handler(v1("/api/v1/daily", {"from": ["2020-03-05"], "to": ["2020-03-01"]}), None, app)
    assert result["statusCode"] == 400
    assert json.loads(result["body"])["parameter"] == "from"
    assert handler(v1("/nope"), None, app)["statusCode"] == 404


def test_gzip_bodies_are_base64_and_304_has_no_body(app: Flask) -> None:
    result = handler(v2("/api/v1/summary", headers={"accept-encoding": "gzip"}), None, app)
    assert result["isBase64Encoded"] and result["headers"]["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(base64.b64decode(result["body"])))["date"] == "2020-03-30"
    etag = result["headers"]["ETag"]
    again = handler(v2("/api/v1/summary", headers={"accept-encoding": "gzip", "if-none-match": etag}), None, app)
    assert again["statusCode"] == 304 and base64.b64decode(again["body"]) == b""
