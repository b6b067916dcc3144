"""wrk against the read API under gunicorn (2 workers), on a moto server holding the loaded series.

Measures requests/s and p99 latency of the full daily series and the summary beside a trivial JSON
route of the same app in the same run, at 32 connections, and the p99 of the trivial route and the
full series at 256 connections (the configuration `covid-etl up` runs); keeps the figures in
artifacts/ for the report (`bench.report`).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TABLE = "covid-etl-bench"
CONNECTIONS, THREADS, DURATION = 32, 2, "8s"
MANY = 256  # connections of the p99-under-load figure
# sync: how `covid-etl up` runs the API today (one request per worker, no keep-alive);
# gthread: the same 2 processes with 4 threads each and keep-alive.
WORKERS = {"sync": [], "gthread": ["--worker-class", "gthread", "--threads", "4"]}
GZIP = "Accept-Encoding: gzip"
ROUTES = [("/api/v1/ping", "trivial route", GZIP), ("/api/v1/daily", "full series, gzip", GZIP),
          ("/api/v1/daily", "full series, identity", ""), ("/api/v1/summary", "summary, gzip", GZIP)]
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def records() -> tuple[list[dict[str, Any]], str]:
    """The real sources joined by the transformer's own code, or a synthetic 1,200-day series."""
    nyt, jhu = DATA / "nyt" / "us.csv", DATA / "jhu" / "time-series-19-covid-combined.csv"
    if nyt.is_file() and jhu.is_file():
        from services.transformer.parse import parse_jhu, parse_nyt
        from services.transformer.transform import to_records, transform

        frame, _ = transform({"nyt": parse_nyt(nyt.read_bytes()), "jhu": parse_jhu(jhu.read_bytes())})
        return to_records(frame), "real NYT + JHU snapshots (inner join)"
    from tests.api.fakes import series

    return series(1200, recovered_until=300), "synthetic 1,200-day series (../shared/data absent)"


def load_table(endpoint: str, rows: list[dict[str, Any]]) -> None:
    from services.loader.repository import SeriesRepository
    from shared.ledger import RunLedger

    client = boto3.client("dynamodb", endpoint_url=endpoint, **{"region_name": "us-east-1"})
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    repo = SeriesRepository(TABLE, client)
    with RunLedger(TABLE, client).lock("load", owner="bench", wait_s=30) as fence:  # the loader's own writes
        repo.write(rows, "bench", fence)
        repo.commit_versions([{"name": "nyt", "last_date": rows[-1]["date"]}],
                             {"version": "bench", "rows_total": len(rows), "first_date": rows[0]["date"],
                              "last_date": rows[-1]["date"]}, fence)


def start_gunicorn(endpoint: str, port: int, extra: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, **ENV, "AWS_ENDPOINT_URL": endpoint, "COVID_ETL_TABLE": TABLE}
    cmd = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
           "--log-level", "warning", *extra, "services.api.app:create_app()"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    for _ in range(100):
        try:
            for path, _label, _h in ROUTES:  # warm both workers' caches
                for _ in range(4):
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def wrk(url: str, header: str, connections: int = CONNECTIONS) -> tuple[float, float]:
    """(requests/s, p99 latency in ms) from one wrk run."""
    cmd = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{DURATION}", "--latency", url]
    if header:
        cmd[1:1] = ["-H", header]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def table(results: list[tuple[str, str, str, float, float]]) -> str:
    lines = ["| workers | route | what | requests/s | vs trivial | p99 ms | targets (>= 0.7x, p99 < 50 ms) |",
             "|---|---|---|---:|---:|---:|---|"]
    for kind, path, label, rps, p99 in results:
        base = next(r[3] for r in results if r[0] == kind and r[1].endswith("/ping"))
        ok = "baseline" if path.endswith("/ping") else (
            "met" if rps >= 0.7 * base and p99 < 50 else "NOT met")
        lines.append(f"| {kind} | `{path}` | {label} | {rps:,.0f} | {rps / base:.2f} | {p99:.1f} | {ok} |")
    return "\n".join(lines)


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 1
    from covid_etl.local.emulator import start_emulator
    from tests.support.stack import free_port

    os.environ.update(ENV)
    server, endpoint = start_emulator()
    rows, what = records()
    load_table(endpoint, rows)
    results: list[tuple[str, str, str, float, float]] = []
    many: list[tuple[str, str, str, float, float]] = []
    try:
        for kind, extra in WORKERS.items():
            port = free_port()
            proc = start_gunicorn(endpoint, port, extra)
            try:
                results += [(kind, p, label, *wrk(f"http://127.0.0.1:{port}{p}", h)) for p, label, h in ROUTES]
                if kind == "sync":
                    many += [(kind, p, label, *wrk(f"http://127.0.0.1:{port}{p}", h, MANY))
                             for p, label, h in ROUTES[:2]]
            finally:
                proc.terminate()
                proc.wait(10)
    finally:
        server.stop()
    report = table(results)
    print(report)
    write_doc(report, what, len(rows))
    from bench import results as saved

    load = os.getloadavg()[0]
    saved.save("api", [{"workers": k, "route": p, "what": label, "connections": c, "rps": rps, "p99_ms": p99,
                        "load": load} for c, group in ((CONNECTIONS, results), (MANY, many))
                       for k, p, label, rps, p99 in group])
    return 0


def write_doc(report: str, what: str, rows: int) -> None:
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-api.md").write_text(f"""# Benchmarks

`make bench` (`python -m bench`, module `bench/api.py`). Measured {datetime.now(UTC):%Y-%m-%d} on {machine}.

Read API under gunicorn (2 worker processes, sync and gthread) on a moto server holding {rows} days ({what}).
wrk: {THREADS} threads, {CONNECTIONS} connections, {DURATION} per route, on the same machine as the
server (wrk competes for the same CPUs, so absolute numbers are conservative). Every route runs in the
same session; the trivial route (`/api/v1/ping`, a `jsonify` of a constant) is the baseline for what
Flask and gunicorn themselves cost.

{report}

Load average when the run ended: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs. On a shared or
busy machine the numbers swing by 2x between runs, so compare routes within one run, not across runs.

Why the data routes keep up with the trivial one: responses are cached in each worker by data version,
with the gzip bytes precomputed, and the version is re-read with one GetItem at most once a second. A
cache hit is a dict lookup and a write of ready bytes (see `services/api/cache.py`).
""")
