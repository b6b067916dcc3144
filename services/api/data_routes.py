"""`/api/v1/daily` (JSON or CSV) and `/api/v1/summary`, served from the version cache."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, current_app

from services.api import params
from services.api.cache import ResponseCache, Snapshot
from services.api.derive import in_range, summary
from services.api.problems import Problem
from services.api.responses import json_bytes, send
from shared.sources import SOURCES

bp = Blueprint("data", __name__, url_prefix="/api/v1")

DAILY_FIELDS = ("date", "cases", "deaths", "recovered", "new_cases", "new_deaths",
                "new_cases_avg7", "new_deaths_avg7")
CREDIT = " ".join(s.attribution for s in SOURCES)  # every declared source's credit line


def _cache() -> ResponseCache:
    return current_app.extensions["covid_etl.cache"]


def daily_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DAILY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)  # None is written as an empty cell
    return out.getvalue().encode()


@bp.get("/daily")
def daily() -> Response:
    """The series, one object per day, with derived new counts and 7-day averages."""
    args = params.query(("from", "to", "format"))
    start, end = params.date_range(args)
    fmt = params.choice(args, "format", ("json", "csv"))

    def build(snap: Snapshot) -> tuple[bytes, str]:
        rows = in_range(snap.derived, start, end)
        if fmt == "csv":
            return daily_csv(rows), "text/csv; charset=utf-8"
        return json_bytes({"data": rows}), "application/json"

    response = send(_cache().get(f"daily|{start}|{end}|{fmt}", build))
    if fmt == "csv":
        response.headers["Content-Disposition"] = 'attachment; filename="covid-us-daily.csv"'
    return response


@bp.get("/summary")
def summary_view() -> Response:
    """The latest day, its new counts and averages, the change on the week before, freshness."""
    params.query(())

    def build(snap: Snapshot) -> tuple[bytes, str]:
        result = summary(snap.derived, snap.sources, snap.dataset)
        if result is None:
            raise Problem(503, "no-data", "No data loaded yet",
                          "The pipeline has not loaded the series yet; try again shortly.")
        return json_bytes({**result, "credit": CREDIT}), "application/json"

    return send(_cache().get("summary", build))
