"""How many requests a run makes to the emulator, by process: the bound of (b) (`bench/notes.md`).

`python -m bench.requests` starts `covid-etl up` as `bench.pipeline` does (loopback sources), with
`bench/trace` on PYTHONPATH in every process, so that each botocore call is logged; then runs
(a), (b) and (c) and counts the calls begun between each run's start and its announcement, and how
many of them were in flight at once. Not part of `make bench`: the logging costs time itself.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import pipeline as p
from bench.sources import LOOPBACK, SourceServer

TRACE = Path(__file__).resolve().parent / "trace"


def count(calls: list[dict[str, Any]], run: dict[str, Any]) -> dict[str, Any]:
    start = p.stamp(run["started_at"])
    end = p.stamp(run["stage_notify"]["finished_at"]) if "stage_notify" in run else p.stamp(run["finished_at"])
    inside = [c for c in calls if start - 0.005 <= c["t"] <= end and "--port" not in c["process"]]
    by = Counter(c["process"].split()[-1] for c in inside)
    return {"ms": round((end - start) * 1000), "requests": len(inside), "by process": dict(by),
            "by operation": dict(Counter(f"{c['service']} {c['op']}" for c in inside))}


def main() -> int:
    log = Path(tempfile.mkdtemp(prefix="bench-trace-")) / "calls.jsonl"
    os.environ["BENCH_TRACE_CALLS"] = str(log)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TRACE), os.environ.get("PYTHONPATH")]))
    folder = Path(tempfile.mkdtemp(prefix="bench-sources-"))
    p.put_sources(folder, "2021-03-15")
    server = SourceServer(folder, LOOPBACK)
    stack = p.Stack(server.base, Path(tempfile.mkdtemp(prefix="bench-stack-")))
    runs: dict[str, dict[str, Any]] = {}
    try:
        stack.quiet(stack.wait_first())
        stack.empty()
        runs["(a) full load"] = stack.run()
        stack.quiet(runs["(a) full load"])
        p.put_sources(folder, p.NEW_DAY)
        runs["(b) one new day"] = stack.run()
        stack.quiet(runs["(b) one new day"])
        runs["(c) no change"] = stack.run()
        stack.quiet(runs["(c) no change"])
    finally:
        stack.stop()
        server.stop()
    time.sleep(0.2)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    for name, run in runs.items():
        print(name, json.dumps(count(calls, run)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
