"""End-to-end pipeline timings on the embedded stack, with the real snapshots served over HTTP.

Measures, with `covid-etl up` as a real process group and `covid-etl run --wait --json` as a user runs
it: the time until `up` serves the first load; a full first load of the new pair into an empty table;
the later run old pair -> new pair; and a run whose sources did not change. Each run's time is the
ledger's (started_at -> finished_at) and the CLI's wall clock (process start to exit).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OLD = (DATA / "nyt" / "us-2020-08-13.csv", DATA / "jhu" / "time-series-19-covid-combined-2020-09-25.csv")
NEW = (DATA / "nyt" / "us.csv", DATA / "jhu" / "time-series-19-covid-combined.csv")
REPEAT = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def put(folder: Path, pair: tuple[Path, Path]) -> None:
    time.sleep(1.1)  # Last-Modified has a one-second resolution
    shutil.copyfile(pair[0], folder / "nyt.csv")
    shutil.copyfile(pair[1], folder / "jhu.csv")


def serve(folder: Path) -> str:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def seconds(run: dict) -> float:
    """A run's time in the ledger: from its start to its announcement."""
    return (datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()


class Stack:
    def __init__(self, base: str, work: Path) -> None:
        self.port, self.work = free_port(), work
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COVID_ETL_"))}
        self.env = {**env, "COVID_ETL_NYT_URL": f"{base}/nyt.csv", "COVID_ETL_JHU_URL": f"{base}/jhu.csv"}
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "covid_etl.cli", "up", "--port", str(self.port)],
                                     cwd=work, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def wait_for_rows(self, rows: int) -> float:
        while time.monotonic() - self.started < 300:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/daily", timeout=5) as r:
                    if len(json.load(r)["data"]) >= rows:
                        return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("the stack did not serve the first load")

    def run(self) -> tuple[dict, float, float]:
        t0 = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "covid_etl.cli", "run", "--wait", "--json"], cwd=self.work,
                             capture_output=True, text=True, check=True).stdout
        wall = time.monotonic() - t0
        result = json.loads(out.strip().splitlines()[-1])
        run = next(r for r in self.ledger_runs() if r["run_id"] == result["run_id"])
        return result, seconds(run), wall

    def ledger_runs(self) -> list[dict]:
        """The run records, newest first, as `covid-etl runs --json` prints them."""
        out = subprocess.run([sys.executable, "-m", "covid_etl.cli", "runs", "--json", "--limit", "5"],
                             cwd=self.work, capture_output=True, text=True, check=True).stdout
        return json.loads(out)

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def measure() -> list[tuple[str, str, float, float]]:
    rows: list[tuple[str, str, float, float]] = []
    for _ in range(REPEAT):
        sources, work = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
        put(sources, OLD)
        stack = Stack(serve(sources), work)
        try:
            rows.append(("`up` until the API serves the first load (old pair, 205 rows)", "",
                         stack.wait_for_rows(205), 0.0))
            put(sources, NEW)
            result, ledger, wall = stack.run()
            rows.append(("second run, old -> new pair", f"{result['inserted']} ins / {result['updated']} upd",
                         ledger, wall))
            result, ledger, wall = stack.run()
            rows.append(("no-change run", result["status"], ledger, wall))
            put(sources, NEW)  # same bytes, newer Last-Modified: downloaded, hashed, found unchanged
            result, ledger, wall = stack.run()
            rows.append(("touched sources (newer Last-Modified, same bytes): no change by sha256", result["status"],
                         ledger, wall))
        finally:
            stack.stop()
        sources2, work2 = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp())
        put(sources2, NEW)
        stack = Stack(serve(sources2), work2)
        try:
            rows.append(("`up` until the API serves a full first load (new pair, 420 rows)", "",
                         stack.wait_for_rows(420), 0.0))
            first = stack.ledger_runs()[-1]
            rows.append(("full first load into an empty table (new pair)", f"{first['inserted']} inserted",
                         seconds(first), 0.0))
        finally:
            stack.stop()
    return rows


def main() -> int:
    if not DATA.is_dir():
        print("../shared/data not found: the pipeline benchmark needs the real snapshots")
        return 0
    rows = measure()
    lines = [f"Pipeline end to end, embedded stack, median of {REPEAT} (load average {os.getloadavg()[0]:.1f})", "",
             "| what | outcome | ledger s (run start -> announced) | `run --wait` wall s |", "|---|---|---:|---:|"]
    for what in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == what]
        ledger, wall = statistics.median(r[2] for r in mine), statistics.median(r[3] for r in mine)
        lines.append(f"| {what} | {mine[-1][1]} | {ledger:.2f} | {f'{wall:.2f}' if wall else ''} |" if mine[-1][1]
                     else f"| {what} | | {ledger:.2f} (wall, from `up` start) | |")
    report = "\n".join(lines)
    print("\n" + report)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "bench-pipeline.md").write_text(report + "\n")
    return 0
