"""The OpenAPI 3 document of the read API, served at `/api/v1/openapi.json`.

The paths are written beside the routes; a day's schema (`Day`) is generated from the row's
declaration (`shared.daily`), a run's (`Run`, `StageRecord`, `SourceVersion`) from the models the
ledger and the routes use (`shared.runs`). schemathesis checks the document against the app in tests/api.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.api.data_routes import TYPES
from services.api.region_routes import MAX_COMPARE, METRICS
from shared.daily import COUNTS, DAY, KEY, VALUES, Field
from shared.runs import Run
from shared.topology import STAGES

REF = "#/components/schemas/{model}"
Schema = dict[str, object]  # a JSON (OpenAPI) object


def _n(kind: str, **extra: object) -> Schema:
    return {"type": kind, "nullable": True, **extra}


def _obj(props: Mapping[str, object], required: list[str] | None = None, **extra: object) -> Schema:
    return {"type": "object", "properties": props, "required": required or list(props), **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Mapping[str, object], description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM = {"description": "A problem document (RFC 7807)",
           "content": {"application/problem+json": {"schema": _ref("Problem")}}}
DATE_PARAM = {"in": "query", "required": False, "schema": {"type": "string", "format": "date"}}
CHANGE = _obj({"avg7": _n("number"), "avg7_week_before": _n("number"), "change_pct": _n("number")})


def field_schema(field: Field) -> Schema:
    """A field of `shared.daily`'s declarations as an OpenAPI 3.0 schema (the key is a date)."""
    extra = {"format": "date"} if field.name == KEY else {}
    return _n(TYPES[field.kind], **extra) if field.nullable else {"type": TYPES[field.kind], **extra}


DAY_SCHEMA = {f.name: field_schema(f) for f in DAY}
FIELD = _obj({"name": {"type": "string"}, "label": {"type": "string"},
              "type": {"type": "string", "enum": sorted(set(TYPES.values()))}, "nullable": {"type": "boolean"},
              "source": _n("string"), "of": _n("string")})

SCHEMAS: dict[str, object] = {
    "Problem": _obj({"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                     "detail": {"type": "string"}, "instance": {"type": "string"},
                     "parameter": {"type": "string"}}, ["type", "title", "status", "detail"]),
    "Day": _obj(DAY_SCHEMA, additionalProperties=False),
    "Field": FIELD,
    "Summary": _obj({
        "date": {"type": "string", "format": "date"},
        "totals": _obj({k: DAY_SCHEMA[k] for k in VALUES}),
        "recovered_last_reported": _n("string", format="date"),
        "new": _obj({f: DAY_SCHEMA[f"new_{f}"] for f in COUNTS}),
        "avg7": _obj({f: DAY_SCHEMA[f"new_{f}_avg7"] for f in COUNTS}),
        "week_change": _obj({f: CHANGE for f in COUNTS}),
        "sources": {"type": "array", "items": _obj({"name": {"type": "string"}, "last_date": _n("string"),
                                                    "loaded_at": _n("string"), "url": _n("string")})},
        "dataset": _obj({"version": _n("string"), "rows_total": _n("integer"), "first_date": _n("string"),
                         "last_date": _n("string"), "loaded_at": _n("string")}),
        "credit": {"type": "string"}}),
    "Region": _obj({"id": {"type": "string", "description": "stable across runs (docs/regions.md)"},
                    "name": {"type": "string"}, "country": _n("string"),
                    "province": _n("string", description="null unless level is province"),
                    "level": {"type": "string", "enum": ["country", "province", "mainland"]},
                    "population": _n("integer"), "first_date": _n("string", format="date"),
                    "last_date": _n("string", format="date"),
                    "sources": {"type": "array", "items": {"type": "string"}}}, additionalProperties=False),
    "Revision": _obj({"loaded_at": _n("string", description="the load's instant (ISO-8601, UTC)"),
                      "run_id": _n("string"),
                      "sources": {"type": "object", "additionalProperties": {"type": "string"},
                                  "description": "the sources' versions the load read: name -> sha256"},
                      **{k: DAY_SCHEMA[k] for k in VALUES},
                      "current": {"type": "boolean", "description": "the value the table holds now"}},
                     additionalProperties=False),
    "Revisions": _obj({"region": {"type": "string"}, "date": {"type": "string", "format": "date"},
                       "data": {"type": "array", "items": _ref("Revision")}}, additionalProperties=False),
    "Comparison": _obj({"metric": {"type": "string", "enum": list(METRICS)}, "data": {"type": "array", "items": _obj({
        "region": {"type": "string"}, "name": {"type": "string"}, "population": _n("integer"),
        "points": {"type": "array", "items": _obj({"date": {"type": "string", "format": "date"},
                                                   "value": _n("number")})}})}}, additionalProperties=False),
    "Source": _obj({"name": {"type": "string"}, "title": {"type": "string"}, "homepage": {"type": "string"},
                    "licence": {"type": "string"}, "attribution": {"type": "string"},
                    "contributes": {"type": "array", "items": {"type": "string"}}, "required": {"type": "boolean"}},
                   ["name", "title", "homepage", "licence", "attribution", "contributes", "required"],
                   additionalProperties=False),
}


def _get(summary: str, ok: Mapping[str, object], params: list[Schema] | None = None,
         **errors: Mapping[str, object]) -> Schema:
    responses = {"200": ok, "400": PROBLEM, **{code[1:]: v for code, v in errors.items()}}
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _table(schema: Mapping[str, object], description: str) -> Schema:
    """JSON, or the same rows as CSV (`format=csv`)."""
    return {"description": description, "content": {"application/json": {"schema": schema},
                                                    "text/csv": {"schema": {"type": "string"}}}}


REGION_PARAM = {"name": "region", "in": "query", "required": False,
                "schema": {"type": "string", "default": "US"}, "example": "FR",
                "description": "a region id (`/api/v1/regions`); 404 when unknown"}
FORMAT_PARAM = {"name": "format", "in": "query", "required": False,
                "schema": {"type": "string", "enum": ["json", "csv"]}}
RANGE_PARAMS = [{**DATE_PARAM, "name": "from", "description": "first day (inclusive)"},
                {**DATE_PARAM, "name": "to", "description": "last day (inclusive)"}]


def region_paths() -> dict[str, object]:
    """The routes of every region (issue 18)."""
    return {
        "/api/v1/regions": _get("Every region: id, names, level, population, span, sources", _table(
            _obj({"data": {"type": "array", "items": _ref("Region")}}), "The regions, sorted by name"),
            [FORMAT_PARAM]),
        "/api/v1/revisions": _get("Each value a region's date has had, oldest first", _table(
            _ref("Revisions"), "The date's values; none for a date never loaded"), [
            REGION_PARAM, {"name": "date", "in": "query", "required": True,
                           "schema": {"type": "string", "format": "date"}}, FORMAT_PARAM], _404=PROBLEM),
        "/api/v1/compare": _get("Several regions' values of one metric, for a comparison chart", _json(
            _ref("Comparison"), "One series of points per region, in the order asked"), [
            {"name": "regions", "in": "query", "required": True, "style": "form", "explode": False,
             "schema": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"}, "minItems": 1,
                        "maxItems": MAX_COMPARE},
             "example": ["FR", "US"],
             "description": f"region ids, comma-separated (at most {MAX_COMPARE}); 404 when one is unknown"},
            {"name": "metric", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(METRICS), "default": METRICS[0]}}, *RANGE_PARAMS],
            _404=PROBLEM),
    }


def document() -> Schema:
    """The whole document; paths and schemas as the routes produce them."""
    daily_ok = _table(_obj({"data": {"type": "array", "items": _ref("Day")}}), "The series, sorted by date")
    status = _obj({"status": {"type": "string"}})
    return {
        "openapi": "3.0.3",
        "info": {"title": "covid-etl read API", "version": "1.0.0",
                 "description": "COVID-19 daily series of every region of JHU CSSE's file (the US: cases and "
                                "deaths from The New York Times, recovered from JHU CSSE), per 100,000 people, "
                                "as of any instant, with each value's revisions; and the ETL pipeline's run "
                                "history."},
        "paths": {
            "/api/v1/daily": _get("A region's daily series with new counts, 7-day averages and per-100k figures",
                                  daily_ok, [
                REGION_PARAM, *RANGE_PARAMS,
                {"name": "as_of", "in": "query", "required": False,
                 "schema": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]},
                 "description": "the series as the table held it at this ISO-8601 instant (a date alone: its "
                                "end of day, UTC); 400 when malformed, 404 before the region's first load"},
                FORMAT_PARAM], _404=PROBLEM),
            **region_paths(),
            "/api/v1/fields": _get("The series' fields: name, label, type, where each comes from", _json(
                _obj({"data": {"type": "array", "items": _ref("Field")}}), "The fields, in a table's order")),
            "/api/v1/summary": _get("Latest day, totals, weekly change, source freshness",
                                    _json(_ref("Summary"), "The summary"), _503=PROBLEM),
            "/api/v1/runs": _get("Run history, newest first", _json(
                _obj({"data": {"type": "array", "items": _ref("Run")},
                      "stages": {"type": "array", "items": {"type": "string", "enum": list(STAGES)},
                                 "description": "The pipeline's stages, in the order a run passes them"}},
                     additionalProperties=False), "Runs"), [
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100}}]),
            "/api/v1/runs/{run_id}": _get("One run", _json(_ref("Run"), "The run"), [
                {"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                _404=PROBLEM),
            "/api/v1/sources": _get("The sources: title, licence, credit line, what each gives a row", _json(
                _obj({"data": {"type": "array", "items": _ref("Source")}}), "The declared sources")),
            "/api/v1/ping": {"get": {"summary": "Trivial route", "responses": {
                "200": _json(_obj({"pong": {"type": "boolean"}}), "pong")}}},
            "/healthz": _get("The process is alive", _json(status, "alive")),
            "/readyz": _get("The table is reachable", _json(status, "ready"), _503=PROBLEM),
        },
        "components": {"schemas": {**SCHEMAS, **model_schemas()}},
    }


def model_schemas() -> dict[str, object]:
    """`Run` and the models it holds, as OpenAPI 3.0 schemas (JSON Schema's `null` as `nullable`)."""
    schema = Run.model_json_schema(ref_template=REF, mode="serialization")
    found = {name: _openapi(sub) for name, sub in schema.pop("$defs", {}).items()}
    return {**found, "Run": _openapi(schema)}


def _openapi(node: object) -> object:
    if isinstance(node, list):
        return [_openapi(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _openapi(v) for k, v in node.items() if k != "title"}
    options = node.pop("anyOf", None)
    if isinstance(options, list):  # (pydantic's `X | None`: X, nullable)
        kept = [o for o in options if o.get("type") != "null"]
        merged = kept[0] if len(kept) == 1 and "$ref" not in kept[0] else {"anyOf": kept} if len(kept) > 1 else \
            {"allOf": kept}
        node = {**node, **merged, **({"nullable": True} if len(kept) < len(options) else {})}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    return node
