"""Scale, every region (issue 18 item 7): the pipeline against the bulk baseline, on two profiles.

Per repetition and profile (`loopback`: straight to the emulator; `aws`: every request to it delayed
5 ms by `bench.delay_proxy`, which also counts the items and write units of each run):
(a) full load: a fresh emulator, `covid-etl up` on it, sources = the 2021-03-17 JHU file + NYT's us.csv
    + the lookup table; the startup run is the full load (workers warm: `up` starts the run once each
    polls). Then the transformer worker's peak RSS (VmHWM), then `GET /api/v1/daily?region=` with wrk at
    64 connections over every loaded region, then the baseline's full write (`bench.world_baseline`)
    into a fresh table on the same emulator.
(b) one-day update: another fresh emulator and `up`, the JHU file without its last date; once that is
    loaded, the whole file and `covid-etl run --wait`: the second run is the figure, beside the same
    repetition's baseline full rewrite.
`BENCH_WORLD_QUICK=1`: a JHU file cut to five countries and their provinces, one repetition, a short
wrk: for working on the harness, not for figures. `BENCH_WORLD_REPEAT` (default 1: a full repetition of
both profiles takes several minutes; the figures say how many there were). `BENCH_WORLD_PROFILES=loopback`
and `BENCH_WORLD_UPDATE=0` (no (b)) shorten a run further.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.pipeline import DATA, JHU, LOOKUP, NYT, figures
from bench.sources import LOOPBACK, SourceServer
from bench.world_baseline import WorldBaseline, region_rows
from bench.world_stack import Endpoint, WorldStack

QUICK = os.environ.get("BENCH_WORLD_QUICK") == "1"
QUICK_COUNTRIES = {"US", "Canada", "France", "Afghanistan", "Australia"}
REPEAT = int(os.environ.get("BENCH_WORLD_REPEAT", "1"))
PROFILES = {"loopback": 0.0, "aws": 5.0}  # ms added before each request to the emulator
CHOSEN = os.environ.get("BENCH_WORLD_PROFILES", ",".join(PROFILES)).split(",")  # e.g. "loopback"
UPDATE = os.environ.get("BENCH_WORLD_UPDATE", "1") == "1"  # 0: (a), (c), (d) only
LAST_DATE = "2021-03-16"  # the 2021-03-17 file's last date
CONNECTIONS, WRK_SECONDS = 64, 3 if QUICK else 10
LUA = """
local ids = {%s}
init = function(args) math.randomseed(os.time() + math.floor(os.clock() * 1e6)) end
request = function()
  return wrk.format("GET", "%s" .. ids[math.random(#ids)], {["Accept-Encoding"] = "gzip"})
end
"""


def jhu_lines(with_last_date: bool) -> str:
    lines = JHU.read_text().splitlines(keepends=True)
    keep = [ln for ln in lines[1:] if (with_last_date or not ln.startswith(LAST_DATE))
            and (not QUICK or ln.split(",")[1] in QUICK_COUNTRIES)]
    return lines[0] + "".join(keep)


def put_sources(folder: Path, with_last_date: bool) -> None:
    (folder / "jhu.csv").write_text(jhu_lines(with_last_date))
    for name, path in (("nyt.csv", NYT), ("lookup.csv", LOOKUP)):
        if not (folder / name).exists():
            shutil.copyfile(path, folder / name)


def written(counts: dict[str, Any] | None, table: str) -> dict[str, Any] | None:
    """The proxy's counts for one table: items and WCUs by partition kind, and every request by operation."""
    if counts is None:
        return None
    mine = {k.split(" ", 1)[1]: v for k, v in counts["items"].items() if k.split(" ", 1)[0] == table}
    units = {k.split(" ", 1)[1]: v for k, v in counts["units"].items() if k.split(" ", 1)[0] == table}
    return {"items": mine, "units": units, "wcu": sum(units.values()), "requests": counts["requests"]}


def ledger_counts(run: dict[str, Any]) -> dict[str, Any]:
    out = {k: run[k] for k in ("status", "inserted", "updated", "unchanged", "rows_total", "all") if k in run}
    return json.loads(json.dumps(out, default=lambda v: int(v) if v == int(v) else float(v)))  # Decimal


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def timed(url: str) -> float:
    t0 = time.perf_counter()
    status(url)
    return time.perf_counter() - t0


def first_answers(api: str, path: str, ids: list[str], budget_s: float = 240) -> dict[str, Any]:
    """Every region asked, 4 at a time, pass after pass until a pass's 90th percentile is under 50 ms or
    `budget_s` is spent: the API `up` runs fills each worker's cache per region on its first request, so
    the first pass is what a cold cache costs and the passes' time what warming it by traffic takes."""
    start, passes, first, last = time.perf_counter(), 0, [0.0], [1.0]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        while time.perf_counter() - start < budget_s and sorted(last)[int(len(last) * 0.9)] >= 0.05:
            last = list(pool.map(timed, [f"{api}{path.lstrip('/')}{rid}" for rid in ids]))
            first = first if passes else last
            passes += 1
    return {"cold_asked": len(first), "cold_median_ms": statistics.median(first) * 1000,
            "cold_max_ms": max(first) * 1000, "warm_passes": passes, "warm_seconds": time.perf_counter() - start,
            "warm_p90_ms": sorted(last)[int(len(last) * 0.9)] * 1000}


def wrk_daily(api: str, ids: list[str]) -> dict[str, Any]:
    """p99 and requests/s of `/api/v1/daily?region=` over `ids` at 64 connections, after a 3 s warm-up;
    of `/api/v1/daily` (the US) when this API does not take `region` yet, and the figure says so."""
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed"}
    probe = status(f"{api}api/v1/daily?region=US")  # an API before issue 18 answers 400: unknown parameter
    regional = probe != 400
    path, ids = ("/api/v1/daily?region=", ids) if regional else ("/api/v1/daily", [""])
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(LUA % (", ".join(f'"{i}"' for i in ids), path))
    cold = first_answers(api, path, ids)
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", "--latency", "-s", str(script)]
    subprocess.run([*cmd, "-d3s", api], capture_output=True, check=True)  # each worker's cache, as in use
    out = subprocess.run([*cmd, f"-d{WRK_SECONDS}s", api], capture_output=True, text=True, check=True).stdout
    script.unlink()

    def number(pattern: str) -> str:
        return re.search(pattern, out).group(1)  # type: ignore[union-attr]

    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"regions": len(ids) if regional else 0, "path": path, "probe": probe,
            "rps": float(number(r"Requests/sec:\s+([\d.]+)")),
            "p99_ms": float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit],
            "requests": int(number(r"(\d+) requests in")), "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
            "answer": status(f"{api}{path.lstrip('/')}{ids[0]}"), **cold}  # what the measured path answers, after


def full_load(profile: str, delay_ms: float) -> dict[str, Any]:
    """(a), the transformer's peak, the API, the baseline's full write: one emulator, one `up`."""
    folder, endpoint = Path(tempfile.mkdtemp(prefix="bench-world-")), Endpoint(delay_ms)
    put_sources(folder, with_last_date=True)
    server = SourceServer(folder, LOOPBACK)
    stack = None
    try:
        stack = WorldStack(server.base, Path(tempfile.mkdtemp(prefix="bench-world-stack-")), endpoint.url)
        run = stack.wait_first(timeout=1200)
        row: dict[str, Any] = {"profile": profile, "what": "(a) full load", "pipeline": figures(run),
                               "counts": ledger_counts(run), "writes": written(endpoint.counts(), stack.table_name),
                               "transformer_mb": stack.transformer_peak_mb()}
        row["api"] = wrk_daily(f"http://127.0.0.1:{stack.port}/", stack.region_ids())
        peer = WorldBaseline(endpoint.url, f"{server.base}/nyt.csv", f"{server.base}/jhu.csv")
        region_rows((folder / "jhu.csv").read_bytes(), NYT.read_bytes())  # warm: pandas' parse paths
        table = peer.fresh_table()
        endpoint.counts()
        row["baseline"] = peer.run(table)
        row["baseline_writes"] = written(endpoint.counts(), table)
        row["emulator_mb"] = endpoint.emulator.peak_mb()
        row["load"] = os.getloadavg()[0]
        return row
    finally:
        if stack is not None:
            stack.stop()
        server.stop()
        endpoint.stop()
        shutil.rmtree(folder, ignore_errors=True)


def one_day(profile: str, delay_ms: float) -> dict[str, Any]:
    """(b): the file without its last date loaded by `up`'s startup run, then the whole file."""
    folder, endpoint = Path(tempfile.mkdtemp(prefix="bench-world-")), Endpoint(delay_ms)
    put_sources(folder, with_last_date=False)
    server = SourceServer(folder, LOOPBACK)
    stack = None
    try:
        stack = WorldStack(server.base, Path(tempfile.mkdtemp(prefix="bench-world-stack-")), endpoint.url)
        first = stack.wait_first(timeout=1200)
        put_sources(folder, with_last_date=True)
        endpoint.counts()
        run = stack.run()
        return {"profile": profile, "what": "(b) one-day update", "pipeline": figures(run),
                "counts": ledger_counts(run), "writes": written(endpoint.counts(), stack.table_name),
                "first": {"pipeline": figures(first), "counts": ledger_counts(first)},
                "transformer_mb": stack.transformer_peak_mb(), "load": os.getloadavg()[0]}
    finally:
        if stack is not None:
            stack.stop()
        server.stop()
        endpoint.stop()
        shutil.rmtree(folder, ignore_errors=True)


def measure() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(REPEAT):
        for profile, delay in ((p, d) for p, d in PROFILES.items() if p in CHOSEN):
            print(f"  world: repetition {i + 1}/{REPEAT}, {profile}{' (quick)' if QUICK else ''}", flush=True)
            done = [full_load(profile, delay)]
            if UPDATE:
                done.append(one_day(profile, delay))
                done[1]["baseline"] = done[0]["baseline"]  # (b) is priced against the same repetition's rewrite
            for row in done:
                row.update(repetition=i, quick=QUICK)
                print(f"    {row['what']}: pipeline {row['pipeline']['run']:.2f} s, baseline "
                      f"{row['baseline']['seconds']:.2f} s, {row['counts']}", flush=True)
            rows += done
    return rows


def main() -> int:
    if not DATA.is_dir():
        print("../shared/data not found: the world benchmark needs the real snapshots")
        return 0
    from bench import results

    results.save("world", measure())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
