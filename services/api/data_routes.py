"""`/api/v1/daily` (JSON or CSV, any region, as of any instant), `/api/v1/summary` and `/api/v1/fields`,
served from the version cache."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from flask import Blueprint, Response, current_app

from services.api import history, params
from services.api.cache import ResponseCache, Snapshot, render
from services.api.derive import in_range, summary, with_derived
from services.api.problems import Problem
from services.api.responses import json_bytes, send
from services.api.store import Region
from shared.daily import DAY_FIELDS, Day, Field, table_columns
from shared.layout import US
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


def known(snap: Snapshot, region: str) -> Region:
    """The region's catalogue entry; 404 for an id the catalogue does not hold."""
    found = snap.catalogue.get(region)
    if found is None:
        raise Problem(404, "unknown-region", "Unknown region",
                      f"no region {region!r}; /api/v1/regions lists them", parameter="region")
    return found


def days_as_of(snap: Snapshot, region: str, at: datetime) -> list[Day]:
    """The region's days as the table held them at `at`: one Query of its revisions beside the
    cached current items; 404 when the region held nothing yet then."""
    current = snap.series(region).rows
    revisions = snap.store.revisions(region)
    rows = history.as_of(current, revisions, at)
    if not rows:
        first = history.first_loaded(current, revisions)
        since = f"its first load was at {first.isoformat()}" if first else "it has not been loaded yet"
        raise Problem(404, "not-loaded-yet", "Nothing loaded at that instant",
                      f"region {region!r} held no data as of {at.isoformat()}; {since}", parameter="as_of")
    return with_derived(rows, snap.catalogue[region].get("population"))


def daily_key(region: str, start: str | None, end: str | None, fmt: str, at: datetime | None) -> str:
    """The cache key of a `/daily` response."""
    return f"daily|{region}|{start}|{end}|{fmt}|{at.isoformat() if at else ''}"


def build_daily(region: str, start: str | None, end: str | None, fmt: str, at: datetime | None
                ) -> Callable[[Snapshot], tuple[bytes, str]]:
    def build(snap: Snapshot) -> tuple[bytes, str]:
        known(snap, region)
        days = snap.series(region).derived if at is None else days_as_of(snap, region, at)
        rows = in_range(days, start, end)
        if fmt == "csv":
            return daily_csv(rows), "text/csv; charset=utf-8"
        return json_bytes({"data": rows}), "application/json"

    return build


@bp.get("/daily")
def daily() -> Response:
    """A region's series (default `US`), one object per day, with derived new counts, 7-day averages
    and per-100k figures; `as_of`: as the table held it at that instant."""
    args = params.query(("region", "from", "to", "as_of", "format"))
    region = args.get("region", US)
    start, end = params.date_range(args)
    at = params.instant(args, "as_of")
    fmt = params.choice(args, "format", ("json", "csv"))
    response = send(_cache().get(daily_key(region, start, end, fmt, at), build_daily(region, start, end, fmt, at)))
    if fmt == "csv":
        name = re.sub(r"[^a-z0-9-]", "-", region.lower())
        response.headers["Content-Disposition"] = f'attachment; filename="covid-{name}-daily.csv"'
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
