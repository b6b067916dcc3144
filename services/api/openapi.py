"""The OpenAPI 3 document of the read API, served at `/api/v1/openapi.json`.

The paths and the series' schemas are written beside the routes; a run's schemas (`Run`,
`StageRecord`, `SourceVersion`) are generated from the models the ledger and the routes use
(`shared.runs`). schemathesis checks the document against the app in tests/api.
"""

from __future__ import annotations

from typing import Any

from services.api.data_routes import DAILY_FIELDS
from shared.runs import Run

REF = "#/components/schemas/{model}"


def _n(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "nullable": True, **extra}


def _obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or list(props), **extra}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM = {"description": "A problem document (RFC 7807)",
           "content": {"application/problem+json": {"schema": _ref("Problem")}}}
DATE_PARAM = {"in": "query", "required": False, "schema": {"type": "string", "format": "date"}}
CHANGE = _obj({"avg7": _n("number"), "avg7_week_before": _n("number"), "change_pct": _n("number")})

SCHEMAS: dict[str, Any] = {
    "Problem": _obj({"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                     "detail": {"type": "string"}, "instance": {"type": "string"},
                     "parameter": {"type": "string"}}, ["type", "title", "status", "detail"]),
    "Day": _obj({"date": {"type": "string", "format": "date"}, "cases": {"type": "integer"},
                 "deaths": {"type": "integer"}, "recovered": _n("integer"),
                 "new_cases": _n("integer"), "new_deaths": _n("integer"),
                 "new_cases_avg7": _n("number"), "new_deaths_avg7": _n("number")}, list(DAILY_FIELDS),
                additionalProperties=False),
    "Summary": _obj({
        "date": {"type": "string", "format": "date"},
        "totals": _obj({"cases": {"type": "integer"}, "deaths": {"type": "integer"}, "recovered": _n("integer")}),
        "recovered_last_reported": _n("string", format="date"),
        "new": _obj({"cases": _n("integer"), "deaths": _n("integer")}),
        "avg7": _obj({"cases": _n("number"), "deaths": _n("number")}),
        "week_change": _obj({"cases": CHANGE, "deaths": CHANGE}),
        "sources": {"type": "array", "items": _obj({"name": {"type": "string"}, "last_date": _n("string"),
                                                    "loaded_at": _n("string"), "url": _n("string")})},
        "dataset": _obj({"version": _n("string"), "rows_total": _n("integer"), "first_date": _n("string"),
                         "last_date": _n("string"), "loaded_at": _n("string")}),
        "credit": {"type": "string"}}),
    "Source": _obj({"name": {"type": "string"}, "title": {"type": "string"}, "homepage": {"type": "string"},
                    "licence": {"type": "string"}, "attribution": {"type": "string"},
                    "contributes": {"type": "array", "items": {"type": "string"}}, "required": {"type": "boolean"}},
                   ["name", "title", "homepage", "licence", "attribution", "contributes", "required"],
                   additionalProperties=False),
}


def _get(summary: str, ok: dict[str, Any], params: list[dict[str, Any]] | None = None,
         **errors: dict[str, Any]) -> dict[str, Any]:
    responses = {"200": ok, "400": PROBLEM, **{code[1:]: v for code, v in errors.items()}}
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def document() -> dict[str, Any]:
    """The whole document; paths and schemas as the routes produce them."""
    daily_ok = {"description": "The series, sorted by date",
                "content": {"application/json": {"schema": _obj({"data": {"type": "array", "items": _ref("Day")}})},
                            "text/csv": {"schema": {"type": "string"}}}}
    status = _obj({"status": {"type": "string"}})
    return {
        "openapi": "3.0.3",
        "info": {"title": "covid-etl read API", "version": "1.0.0",
                 "description": "US COVID-19 daily series (cases and deaths: The New York Times; recovered: "
                                "JHU CSSE) and the ETL pipeline's run history."},
        "paths": {
            "/api/v1/daily": _get("Daily series with new counts and 7-day averages", daily_ok, [
                {**DATE_PARAM, "name": "from", "description": "first day (inclusive)"},
                {**DATE_PARAM, "name": "to", "description": "last day (inclusive)"},
                {"name": "format", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": ["json", "csv"]}}]),
            "/api/v1/summary": _get("Latest day, totals, weekly change, source freshness",
                                    _json(_ref("Summary"), "The summary"), _503=PROBLEM),
            "/api/v1/runs": _get("Run history, newest first", _json(
                _obj({"data": {"type": "array", "items": _ref("Run")}}), "Runs"), [
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


def model_schemas() -> dict[str, Any]:
    """`Run` and the models it holds, as OpenAPI 3.0 schemas (JSON Schema's `null` as `nullable`)."""
    schema = Run.model_json_schema(ref_template=REF, mode="serialization")
    found = {name: _openapi(sub) for name, sub in schema.pop("$defs", {}).items()}
    return {**found, "Run": _openapi(schema)}


def _openapi(node: Any) -> Any:
    if isinstance(node, list):
        return [_openapi(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _openapi(v) for k, v in node.items() if k != "title"}
    options = node.pop("anyOf", None)
    if options is not None:
        kept = [o for o in options if o.get("type") != "null"]
        merged = kept[0] if len(kept) == 1 and "$ref" not in kept[0] else {"anyOf": kept} if len(kept) > 1 else \
            {"allOf": kept}
        node = {**node, **merged, **({"nullable": True} if len(kept) < len(options) else {})}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    return node
