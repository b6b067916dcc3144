"""AWS Lambda entrypoint: the same Flask app behind API Gateway, through a hand-written WSGI adapter.

Handles HTTP API (payload format 2.0) and REST API (1.0) proxy events. Hand-written rather than a
library because it is ~80 lines and none of the adapters is in the lockfile (decisions.md).
Each invocation is traced (X-Ray, `shared.tracing`): an HTTP API cannot trace the request itself.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable, Mapping
from typing import TypedDict, cast
from urllib.parse import urlencode

from flask import Flask

from shared import tracing

tracing.setup()  # at the cold start; none outside Lambda
_app: Flask | None = None
TEXT_TYPES = ("application/json", "application/problem+json", "text/", "application/javascript")


class RequestContext(TypedDict, total=False):
    http: dict[str, str]  # v2: method, sourceIp, ...
    identity: dict[str, str]  # v1: sourceIp, ...


class ProxyEvent(TypedDict, total=False):
    """The fields of an API Gateway proxy event (v1 and v2) that the adapter reads."""

    version: str
    rawPath: str
    rawQueryString: str
    path: str
    httpMethod: str
    headers: dict[str, str] | None
    multiValueHeaders: dict[str, list[str]] | None
    queryStringParameters: dict[str, str] | None
    multiValueQueryStringParameters: dict[str, list[str]] | None
    cookies: list[str]
    body: str | None
    isBase64Encoded: bool
    requestContext: RequestContext


class ProxyResponse(TypedDict):
    statusCode: int
    headers: dict[str, str]
    isBase64Encoded: bool
    body: str


def app() -> Flask:
    """The app, built once per Lambda container (cold start), so its cache survives invocations."""
    global _app
    if _app is None:
        from services.api.app import create_app

        _app = create_app()
    return _app


def _query(event: ProxyEvent) -> str:
    if "rawQueryString" in event:  # v2
        return event.get("rawQueryString") or ""
    multi = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    return urlencode([(k, v) for k, vs in multi.items() for v in vs] if multi else list(single.items()))


def _headers(event: ProxyEvent) -> dict[str, str]:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    for key, values in (event.get("multiValueHeaders") or {}).items():
        headers[key.lower()] = ",".join(values)
    if cookies := event.get("cookies"):  # v2 moves cookies out of the headers
        headers["cookie"] = "; ".join(cookies)
    return headers


def environ(event: ProxyEvent) -> dict[str, object]:
    """A WSGI environ for an API Gateway proxy event (v1 or v2)."""
    v2 = event.get("version") == "2.0"
    http = event.get("requestContext", {}).get("http", {})
    method = http.get("method") if v2 else event.get("httpMethod", "GET")
    path = event.get("rawPath") if v2 else event.get("path", "/")
    body = event.get("body") or ""
    raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
    headers = _headers(event)
    env: dict[str, object] = {
        "REQUEST_METHOD": method or "GET", "PATH_INFO": path or "/", "SCRIPT_NAME": "",
        "QUERY_STRING": _query(event), "SERVER_NAME": headers.get("host", "lambda"),
        "SERVER_PORT": headers.get("x-forwarded-port", "443"), "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": http.get("sourceIp", "") if v2 else
        event.get("requestContext", {}).get("identity", {}).get("sourceIp", ""),
        "CONTENT_LENGTH": str(len(raw)), "CONTENT_TYPE": headers.get("content-type", ""),
        "wsgi.version": (1, 0), "wsgi.url_scheme": headers.get("x-forwarded-proto", "https"),
        "wsgi.input": io.BytesIO(raw), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    for key, value in headers.items():
        if key not in ("content-type", "content-length"):
            env["HTTP_" + key.upper().replace("-", "_")] = value
    return env


@tracing.lambda_handler
def handler(event: Mapping[str, object], context: object = None, flask_app: Flask | None = None) -> ProxyResponse:
    """Run one API Gateway event through the app; binary or compressed bodies go base64."""
    started: list[tuple[int, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None
                       ) -> Callable[[bytes], None]:
        started.append((int(status.split()[0]), headers))
        return lambda data: None  # the WSGI write() callable; Flask returns its body instead

    result = (flask_app or app()).wsgi_app(environ(cast(ProxyEvent, event)), start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    headers: dict[str, str] = {}
    status, pairs = started[-1]
    for key, value in pairs:
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    ctype = headers.get("Content-Type", "")
    text = "Content-Encoding" not in headers and ctype.startswith(TEXT_TYPES)
    return {"statusCode": status, "headers": headers, "isBase64Encoded": not text,
            "body": body.decode() if text else base64.b64encode(body).decode()}
