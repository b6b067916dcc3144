"""Liveness (`/healthz`), readiness (`/readyz`) and a trivial route for the benchmark baseline."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify

from services.api import params
from services.api.problems import Problem

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers; touches nothing else."""
    params.query(())
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    """The table answers a GetItem; 503 otherwise."""
    params.query(())
    try:
        current_app.extensions["covid_etl.store"].ping()
    except Exception as error:  # any failure to reach the table means not ready
        log.warning("readiness check failed: %s", error)
        raise Problem(503, "not-ready", "Service Unavailable",
                      "The data table cannot be reached.") from None
    return jsonify(status="ready")


@bp.get("/api/v1/ping")
def ping() -> Response:
    """A trivial JSON route: the benchmark's baseline for what the framework itself costs."""
    return jsonify(pong=True)
