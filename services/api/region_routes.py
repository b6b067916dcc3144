"""`/api/v1/regions`, `/api/v1/revisions` and `/api/v1/compare`: the catalogue, a date's history and
several regions' series side by side (docs/regions.md), served from the version cache."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from flask import Blueprint, Response, current_app

from services.api import history, params
from services.api.cache import ResponseCache, Snapshot
from services.api.data_routes import known
from services.api.derive import in_range
from services.api.problems import bad_parameter
from services.api.responses import json_bytes, send
from shared.daily import DAY, KEY, VALUES
from shared.layout import US

bp = Blueprint("regions", __name__, url_prefix="/api/v1")

REGION_FIELDS = ("id", "name", "country", "province", "level", "population", "first_date", "last_date", "sources")
REVISION_FIELDS = ("loaded_at", "run_id", "sources", *VALUES, "current")
MAX_COMPARE = 10
# `Day`'s numeric fields; the first is the default (the comparison chart's)
METRICS = ("cases_per_100k", *(f.name for f in DAY if f.name not in (KEY, "cases_per_100k")))
CSV = "text/csv; charset=utf-8"


def _cache() -> ResponseCache:
    return current_app.extensions["covid_etl.cache"]


def _csv(rows: Sequence[Mapping[str, object]], columns: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)  # None is written as an empty cell
    return out.getvalue().encode()


def _joined(value: object) -> str:
    """A list or a map in one CSV cell: `a;b`, `name=sha256;...`."""
    if isinstance(value, Mapping):
        return ";".join(f"{k}={v}" for k, v in sorted(value.items()))
    return ";".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


def _attachment(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/regions")
def regions() -> Response:
    """Every region of the catalogue, sorted by name."""
    args = params.query(("format",))
    fmt = params.choice(args, "format", ("json", "csv"))

    def build(snap: Snapshot) -> tuple[bytes, str]:
        rows = sorted(({"id": rid, **{k: found.get(k) for k in REGION_FIELDS[1:]}}
                       for rid, found in snap.catalogue.items()), key=lambda r: (str(r["name"]), r["id"]))
        if fmt == "csv":
            return _csv([{**r, "sources": _joined(r["sources"] or [])} for r in rows], REGION_FIELDS), CSV
        return json_bytes({"data": rows}), "application/json"

    response = send(_cache().get(f"regions|{fmt}", build))
    return _attachment(response, "covid-regions.csv") if fmt == "csv" else response


@bp.get("/revisions")
def revisions() -> Response:
    """Each value a region's date has had, oldest first: when it was loaded, by which run, from which
    versions of the sources, and whether it is the current one. A date never loaded has none."""
    args = params.query(("region", "date", "format"))
    region = args.get("region", US)
    day = params.iso_date(args, "date")
    if day is None:
        raise bad_parameter("date", "'date' is required (YYYY-MM-DD)")
    fmt = params.choice(args, "format", ("json", "csv"))
    cache = _cache()

    def build(snap: Snapshot) -> tuple[bytes, str]:
        known(snap, region)
        values = history.values_of(day, snap.series(region).rows, snap.store.revisions(region, day))
        data = []
        for item, current in values:
            load = cache.load(item["run_id"]) if item["run_id"] else None
            data.append({"loaded_at": item["loaded_at"], "run_id": item["run_id"],
                         "sources": load["sources"] if load else {}, **{k: item[k] for k in VALUES},  # type: ignore[literal-required]
                         "current": current})
        if fmt == "csv":
            return _csv([{**d, "sources": _joined(d["sources"])} for d in data], REVISION_FIELDS), CSV
        return json_bytes({"region": region, "date": day, "data": data}), "application/json"

    response = send(_cache().get(f"revisions|{region}|{day}|{fmt}", build))
    return _attachment(response, f"covid-revisions-{day}.csv") if fmt == "csv" else response


@bp.get("/compare")
def compare() -> Response:
    """Up to ten regions' values of one metric (default `cases_per_100k`), for a comparison chart."""
    args = params.query(("regions", "metric", "from", "to"))
    ids = params.id_list(args, "regions", MAX_COMPARE)
    metric = params.choice(args, "metric", METRICS)
    start, end = params.date_range(args)

    def build(snap: Snapshot) -> tuple[bytes, str]:
        found = [(rid, known(snap, rid)) for rid in ids]  # every id checked before any series is read
        data = [{"region": rid, "name": region["name"], "population": region.get("population"),
                 "points": [{"date": d["date"], "value": d[metric]}  # type: ignore[literal-required]
                            for d in in_range(snap.series(rid).derived, start, end)]}
                for rid, region in found]
        return json_bytes({"metric": metric, "data": data}), "application/json"

    return send(_cache().get(f"compare|{','.join(ids)}|{metric}|{start}|{end}", build))
