"""How much `covid-etl up` asks of its embedded emulator's table while no run is in flight.

    .venv/bin/python -m bench.idle_queries [IDLE_SECONDS]    # default 20

Starts `covid-etl up --fresh` on the real snapshots (../shared/data) in a temporary folder, in a
process that wraps moto's DynamoDB Query handler (`DynamoHandler.query`, in the same process as the
emulator) to write each call's time and duration to a file. Once the startup run's line is printed
and the state it triggers is saved, it counts the Queries over IDLE_SECONDS with no run in flight.
Not part of `make bench`: a check of `up`'s supervisor (docs/decisions.md, "up watches the topic").
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.pipeline import JHU, LOOKUP, NYT, free_port

PROBE = "BENCH_QUERY_LOG"


def wrapped_up() -> None:
    """`covid-etl up` with each DynamoDB Query of its emulator logged to $BENCH_QUERY_LOG."""
    from moto.dynamodb.responses import DynamoHandler

    from covid_etl.cli import main

    log, original = open(os.environ[PROBE], "a", buffering=1), DynamoHandler.query

    def query(self: DynamoHandler) -> object:
        began = time.monotonic()
        try:
            return original(self)
        finally:
            log.write(f"{began:.6f} {(time.monotonic() - began) * 1000:.2f}\n")

    DynamoHandler.query = query  # type: ignore[method-assign]
    sys.exit(main(sys.argv[1:]))


def main() -> int:
    idle = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    with tempfile.TemporaryDirectory(prefix="idle-queries-") as tmp:
        work, probe = Path(tmp), Path(tmp) / "queries.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COVID_ETL_"))}
        env.update(COVID_ETL_NYT_URL=str(NYT), COVID_ETL_JHU_URL=str(JHU), COVID_ETL_LOOKUP_URL=str(LOOKUP),
                   COVID_ETL_SCHEDULE_SECONDS="86400",
                   PYTHONPATH=str(Path(__file__).resolve().parents[1]), **{PROBE: str(probe)})
        cmd = [sys.executable, "-c", "from bench.idle_queries import wrapped_up; wrapped_up()",
               "up", "--fresh", "--port", str(free_port()), "--emulator-port", "0"]
        with open(work / "up.log", "wb") as out:
            proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        try:
            deadline = time.monotonic() + 180
            while " succeeded: " not in (work / "up.log").read_text(errors="replace"):
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the startup run did not succeed:\n" + (work / "up.log").read_text())
                time.sleep(0.1)
            time.sleep(3)  # the state save after the run's end
            start = time.monotonic()
            time.sleep(idle)
            end = time.monotonic()
        finally:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(60)
        calls = [line.split() for line in probe.read_text().splitlines()]
        window = [float(ms) for at, ms in calls if start <= float(at) < end]
        total = sum(window)
        print(f"DynamoDB Query requests in {idle:.0f} s of idle after the startup run: {len(window)} "
              f"({total:.0f} ms in the emulator; {max(window, default=0):.1f} ms the longest)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
