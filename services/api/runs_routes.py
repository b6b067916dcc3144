"""`/api/v1/runs` and `/api/v1/runs/<run_id>`: the pipeline's run history, read live."""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app

from services.api import params
from services.api.problems import Problem
from services.api.responses import send_live
from services.api.store import Store
from shared.topology import STAGES

bp = Blueprint("runs", __name__, url_prefix="/api/v1")
RUN_ID = re.compile(r"^[0-9A-Za-z:_.-]{1,80}$")


def _store() -> Store:
    return current_app.extensions["covid_etl.store"]


@bp.get("/runs")
def runs() -> Response:
    """The newest runs first (default 20, at most 100), each with its stages, counts and warnings;
    `stages`: the pipeline's stages in the order a run passes them (`shared.topology`)."""
    args = params.query(("limit",))
    limit = params.integer(args, "limit", 20, 1, 100)
    return send_live({"data": [run.as_json() for run in _store().runs(limit)], "stages": list(STAGES)},
                     f"runs|{limit}")


@bp.get("/runs/<run_id>")
def run(run_id: str) -> Response:
    """One run; 404 when there is no such run."""
    params.query(())
    if not RUN_ID.match(run_id):
        raise Problem(404, "not-found", "Not Found", f"no run {run_id!r}")
    found = _store().run(run_id)
    if found is None:
        raise Problem(404, "not-found", "Not Found", f"no run {run_id!r}")
    return send_live(found.as_json(), f"run|{run_id}")
