"""A run's outcome as a CloudWatch metric, in the embedded metric format (EMF).

One JSON line on stdout per finished run; in Lambda, CloudWatch Logs turns it into the metrics
`RunsSucceeded`, `RunsNoChange` and `RunsFailed` (namespace `covid-etl`, dimension `Prefix`), on
which the CDK app's alarms watch for a failed run and for a day without a good one. Elsewhere
(the container worker, `covid-etl up`) the line is only a log line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, TextIO

NAMESPACE = "covid-etl"
DIMENSION = "Prefix"
METRICS = {"succeeded": "RunsSucceeded", "no_change": "RunsNoChange", "failed": "RunsFailed"}
# a run given up on or interrupted failed too, for the alarms
METRIC_OF = {**METRICS, "gave_up": "RunsFailed", "interrupted": "RunsFailed"}


def outcome_document(prefix: str, run_id: str, status: str, now_ms: int | None = None) -> dict[str, Any]:
    """The EMF document for one run's final status: 1 on its own metric, 0 on the others."""
    if status not in METRIC_OF:
        raise ValueError(f"not a final run status: {status!r}")
    return {
        "_aws": {"Timestamp": now_ms if now_ms is not None else int(time.time() * 1000),
                 "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [[DIMENSION]],
                                        "Metrics": [{"Name": name, "Unit": "Count"} for name in METRICS.values()]}]},
        DIMENSION: prefix,
        **{name: int(name == METRIC_OF[status]) for name in METRICS.values()},
        "run_id": run_id,  # a property, not a dimension: searchable in Logs Insights
        "status": status,
    }


def record_run_outcome(run_id: str, status: str, out: TextIO | None = None, prefix: str | None = None) -> None:
    """Write the run's outcome metric (dimension: COVID_ETL_PREFIX); never fails the run over it."""
    prefix = prefix or os.environ.get("COVID_ETL_PREFIX") or "covid-etl"
    try:
        line = json.dumps(outcome_document(prefix, run_id, status), separators=(",", ":"))
    except ValueError:
        return
    stream = out or sys.stdout
    stream.write(line + "\n")
    stream.flush()
