"""schemathesis: generated requests against the WSGI app, every response checked against the OpenAPI
document (status codes, content types, schemas) and for server errors."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from services.api.app import create_app
from shared.daily import DailyRow
from tests.api.fakes import FakeStore, run, series

store = FakeStore(series(60, recovered_until=40))
# a second load: regions with and without a population, a revised date (the new routes' every branch)
store.commit({"US": series(60, recovered_until=40), "FR": series(61), "XX": series(30)}, "20261128T120000Z-b",
             "2026-11-28T12:00:05.000+00:00", {"US": 331_000_000, "FR": 65_000_000})
revised: list[DailyRow] = [{**r, "cases": r["cases"] + 1} for r in series(61)[-5:]]
store.commit({"FR": revised}, "20261129T120000Z-c",
             "2026-11-29T12:00:05.000+00:00")
store.run_items = [run("20261128T100000Z-a"), run("20261128T120000Z-b", "failed", error="boom")]
app = create_app(store, check_every_s=0)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
IDENTITY = {"Accept-Encoding": "identity"}  # the WSGI client does not decode gzip; test_caching does


def reversed_range(case: schemathesis.Case) -> bool:
    """`from` after `to`: a rule across two parameters, which OpenAPI cannot express."""
    query = case.query or {}
    return all(isinstance(query.get(k), str) for k in ("from", "to")) and query["from"] > query["to"]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_matches_its_openapi_document(case: schemathesis.Case) -> None:
    if reversed_range(case):
        response = case.call_and_validate(headers=IDENTITY, excluded_checks=[positive_data_acceptance])
        assert response.status_code == 400
    else:
        case.call_and_validate(headers=IDENTITY)
