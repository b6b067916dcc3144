"""The run-outcome metric in CloudWatch's embedded metric format (shared/metrics.py)."""

from __future__ import annotations

import io
import json

import pytest

from shared.metrics import METRICS, NAMESPACE, outcome_document, record_run_outcome


@pytest.mark.parametrize("status", ["succeeded", "no_change", "failed"])
def test_one_metric_is_one_and_the_others_zero(status: str) -> None:
    doc = outcome_document("acme", "run-1", status, now_ms=1_700_000_000_000)
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE and directive["Dimensions"] == [["Prefix"]]
    assert {m["Name"] for m in directive["Metrics"]} == set(METRICS.values())
    assert doc["Prefix"] == "acme" and doc["_aws"]["Timestamp"] == 1_700_000_000_000
    assert {name: doc[name] for name in METRICS.values()} == {
        name: int(key == status) for key, name in METRICS.items()}
    assert doc["run_id"] == "run-1"


@pytest.mark.parametrize("status", ["gave_up", "interrupted"])
def test_a_run_given_up_on_or_interrupted_counts_as_failed(status: str) -> None:
    doc = outcome_document("acme", "run-1", status)
    assert (doc["RunsFailed"], doc["RunsSucceeded"], doc["RunsNoChange"], doc["status"]) == (1, 0, 0, status)


def test_a_status_that_is_not_final_is_refused() -> None:
    with pytest.raises(ValueError):
        outcome_document("acme", "run-1", "running")


def test_record_writes_one_json_line_with_the_prefix_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COVID_ETL_PREFIX", "acme-covid")
    out = io.StringIO()
    record_run_outcome("run-2", "failed", out=out)
    record_run_outcome("run-3", "running", out=out)  # not a final status: nothing, and no exception
    (line,) = out.getvalue().splitlines()
    doc = json.loads(line)
    assert doc["Prefix"] == "acme-covid" and doc["RunsFailed"] == 1 and doc["RunsSucceeded"] == 0
