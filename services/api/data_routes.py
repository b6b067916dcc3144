"""`/api/v1/daily` (JSON or CSV), `/api/v1/summary` and `/api/v1/fields`, served from the version cache."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask import Blueprint, Response, current_app

from services.api import params
from services.api.cache import ResponseCache, Snapshot, render
from services.api.derive import in_range, summary
from services.api.problems import Problem
from services.api.responses import json_bytes, send
from shared.daily import DAY_FIELDS, Day, Field, table_columns
from shared.sources import SOURCES

bp = Blueprint("data", __name__, url_prefix="/api/v1")

DAILY_FIELDS = DAY_FIELDS  # a day's JSON keys and CSV columns, in order (`shared.daily.Day`)
TYPES = {str: "string", int: "integer", float: "number"}  # Python's types as JSON Schema's
CREDIT = " ".join(s.attribution for s in SOURCES)  # every declared source's credit line


def _cache() -> ResponseCache:
    return current_app.extensions["covid_etl.cache"]


def daily_csv(rows: Sequence[Day]) -> bytes:
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


def describe(field: Field) -> dict[str, object]:
    """A field of the series as `/api/v1/fields` lists it."""
    return {"name": field.name, "label": field.column.label, "type": TYPES[field.kind], "nullable": field.nullable,
            "source": field.column.source, "of": field.column.of}


FIELDS = render("fields", "fields", json_bytes({"data": [describe(f) for f in table_columns()]}), "application/json")


@bp.get("/fields")
def fields() -> Response:
    """The series' fields as a table shows them: each value followed by those derived from it."""
    params.query(())
    return send(FIELDS)
