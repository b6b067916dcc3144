"""Errors as RFC 7807 problem documents; no stack trace ever reaches a client."""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "urn:covid-etl:problem:"
log = logging.getLogger(__name__)


class Problem(Exception):
    """An error to answer with a problem document; `parameter` names the offending query parameter."""

    def __init__(self, status: int, kind: str, title: str, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status, self.kind, self.title, self.detail, self.extra = status, kind, title, detail, extra


def bad_parameter(name: str, detail: str) -> Problem:
    return Problem(400, "invalid-parameter", "Invalid query parameter", detail, parameter=name)


def problem_response(status: int, kind: str, title: str, detail: str, **extra: object) -> Response:
    from services.api.responses import json_bytes

    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail,
            "instance": request.path, **extra}
    response = Response(json_bytes(body), status=status, content_type="application/problem+json")
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    """Answer every error, expected or not, with a problem document."""

    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        response = problem_response(error.status, error.kind, error.title, error.detail, **error.extra)
        if error.status == 503:
            response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        code = error.code or 500
        kind = {404: "not-found", 405: "method-not-allowed"}.get(code, "http-error")
        response = problem_response(code, kind, error.name, error.description or error.name)
        if code == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error on %s", request.path)  # the trace goes to the log, not the client
        return problem_response(500, "internal-error", "Internal Server Error",
                                "The server could not answer this request; the error has been logged.")
