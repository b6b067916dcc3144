"""Fenced loads: a loader process stopped (SIGSTOP) mid-load for longer than its lease, while a later
run loads, cannot write over that run's data when it resumes.

The paused loader is a process of its own running the loader's real handler against the emulator
over HTTP. It says when its first transaction of rows is in and waits for the test there, which
stops it at that point (its lease's renewal thread with it), loads a later run in this process with
a clock that runs past the paused loader's lease, then lets it go on. Nothing waits on the wall clock.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from services.loader import handler as loader
from services.loader.repository import SeriesRepository
from shared.blobs import S3BlobStore, sha256_hex
from shared.clock import SystemClock
from shared.ledger import SERIES_PK, RunLedger
from shared.messages import DatasetTransformedV1, Message, make_message
from shared.queues import MemoryPublisher

ROOT = Path(__file__).resolve().parents[2]
LEASE_S = 2
ROWS = 300  # 4 transactions of at most 99 rows: the loader is stopped after the first
PAUSED, LATER = "20200101T000000Z-paused", "20200102T000000Z-later"
LOADER = """
import json, sys
from services.loader import handler as loader
from services.loader.repository import SeriesRepository
from shared.blobs import S3BlobStore
from shared.dynamo import Table
from shared.ledger import SERIES_PK, RunLedger
from shared.messages import parse_message
from shared.queues import MemoryPublisher
table, bucket, lease, body = sys.argv[1], sys.argv[2], int(sys.argv[3]), open(sys.argv[4]).read()
message = parse_message(body)
transact, paused = Table.transact, []

def transact_then_pause(self, actions):
    transact(self, actions)
    if not paused and any(a.get("Put", {}).get("Item", {}).get("pk") == {"S": SERIES_PK} for a in actions):
        paused.append(True)
        print("first rows in", flush=True)
        sys.stdin.readline()  # the test stops this process here, and lets it go on later

Table.transact = transact_then_pause
deps = loader.Deps(ledger=RunLedger(table, lease_s=lease), publisher=MemoryPublisher(), blobs=S3BlobStore(bucket),
                   series=SeriesRepository(table), lock_wait_s=0)
loader.handle(message, deps)
print(RunLedger(table).get(message.envelope.run_id).model_dump_json())
"""


class Ahead(SystemClock):
    """The system's clock, `seconds` ahead: leases taken before now look that much older."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return time.time() + self.seconds


def dataset(run_id: str, bump: int, bucket: str) -> Message:
    first = date(2000, 1, 1)
    records = [{"date": (first + timedelta(days=i)).isoformat(), "cases": 10 * i + bump, "deaths": i + bump,
                "recovered": None} for i in range(ROWS)]
    body = json.dumps({"records": records}).encode()
    key = f"datasets/{run_id}.json"
    S3BlobStore(bucket).put(key, body, "application/json")
    transformed = DatasetTransformedV1(key=key, sha256=sha256_hex(body), rows=ROWS, first_date=first,
                                       last_date=first + timedelta(days=ROWS - 1), join_policy="inner", sources=[])
    return make_message(transformed, run_id=run_id, producer="test")


def rows_of(repo: SeriesRepository, run_id: str) -> int:
    got = repo.table.client.query(TableName=repo.table.name, KeyConditionExpression="pk = :pk",
                                  FilterExpression="run_id = :r", Select="COUNT", ConsistentRead=True,
                                  ExpressionAttributeValues={":pk": {"S": SERIES_PK}, ":r": {"S": run_id}})
    return int(got["Count"])


def test_a_loader_paused_past_its_lease_cannot_write_over_a_later_runs_load(provisioned: dict[str, str],
                                                                          tmp_path: Path) -> None:
    table, bucket = provisioned["COVID_ETL_TABLE"], provisioned["COVID_ETL_BUCKET"]
    repo = SeriesRepository(table)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    body = tmp_path / "message.json"
    body.write_text(dataset(PAUSED, 0, bucket).to_json())
    paused = subprocess.Popen([sys.executable, "-c", LOADER, table, bucket, str(LEASE_S), str(body)], env=env,
                              text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert paused.stdin is not None and paused.stdout is not None
    try:
        # its first transaction of rows is in: it holds the lock, mid-load, and waits for the test
        assert paused.stdout.readline() == "first rows in\n", paused.communicate(timeout=60)[1][-3000:]
        os.kill(paused.pid, signal.SIGSTOP)  # its lease's renewal thread stops with it
        paused.stdin.write("go on\n")  # read when it is resumed
        paused.stdin.flush()
        written_before_pause = rows_of(repo, PAUSED)
        assert 0 < written_before_pause < ROWS

        # the later run's clock is past the paused loader's lease (renewed at the latest when it stopped):
        # it takes the lock at its first try, as it would once that lease had run out
        later = loader.Deps(ledger=RunLedger(table, lease_s=LEASE_S, clock=Ahead(LEASE_S + 2)),
                            publisher=MemoryPublisher(), blobs=S3BlobStore(bucket), series=repo, lock_wait_s=0)
        loader.handle(dataset(LATER, 1, bucket), later)
    finally:
        os.kill(paused.pid, signal.SIGCONT)
    out, err = paused.communicate(timeout=120)
    assert paused.returncode == 0, err[-3000:]

    current = repo.current(["US"])["US"]
    assert len(current) == ROWS
    assert all(r["run_id"] == LATER and r["cases"] == 10 * i + 1 for i, r in enumerate(current[d] for d in
                                                                                        sorted(current)))
    assert rows_of(repo, PAUSED) == 0  # nothing of the paused run survived, nothing was written after
    # the table held its rows until the later run's load: their values are kept as revisions (the later
    # run read the table, as the paused run's marker said it must)
    assert len(list(repo.table.query("revision#US"))) == written_before_pause and repo.loading() is None
    committed = RunLedger(table).dataset_version()
    assert committed is not None and committed["version"] == LATER

    ledger = RunLedger(table)
    won, lost = ledger.get(LATER), json.loads(out.strip().splitlines()[-1])
    assert won is not None and won.status == "succeeded"
    assert (won.inserted or 0) + (won.updated or 0) + (won.unchanged or 0) == ROWS == won.rows_total
    assert won.updated == written_before_pause  # the paused run's rows were overwritten, counted once
    assert (lost["status"], lost["inserted"], lost["updated"], lost["rows_total"]) == ("no_change", 0, 0, ROWS)
    assert any(w.startswith(f"superseded: run {LATER}") and "paused" in w for w in lost["warnings"]), lost
