"""The pipeline against the single-process peer, on two network profiles, workers warm.

Per repetition and profile: `covid-etl up` as a real process group on the embedded emulator (its
startup run is "the first run after up"), then, each pipeline run beside the same run of the peer
(`bench.baseline`) against the same emulator and the same source server:
(a) full load into an empty table (419 rows), (b) one new day (NYT changed, JHU not), (c) no change.
Both are given JHU's file cut to its US rows: this measures what the architecture costs a run of the
US job the peer does; every region, and a baseline that writes them all, is `bench.world`.
The pipeline's time is the ledger's (run start -> announced); `covid-etl run --wait` is run as a
user runs it and its exit is compared with the announcement. Stage times and hops come from the
run's ledger record.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from bench.baseline import Baseline
from bench.dashboard import first_paint_ms
from bench.sources import LOOPBACK, REALISTIC, Profile, SourceServer
from shared.runs import FINAL

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
NYT, JHU = DATA / "nyt" / "us.csv", DATA / "jhu" / "time-series-19-covid-combined.csv"
LOOKUP = DATA / "jhu" / "UID_ISO_FIPS_LookUp_Table.csv"  # the optional source, read from disk
NEW_DAY = "2021-03-16"  # JHU's last date: NYT up to the day before joins to 419 rows, up to it 420
REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))
STAGES = ("extract", "transform", "load", "notify")


def stamp(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def put_sources(folder: Path, last_nyt_day: str) -> None:
    lines = NYT.read_text().splitlines(keepends=True)
    (folder / "nyt.csv").write_text(lines[0] + "".join(ln for ln in lines[1:] if ln[:10] <= last_nyt_day))
    if not (folder / "jhu.csv").exists():
        head, *rows = JHU.read_text().splitlines(keepends=True)
        (folder / "jhu.csv").write_text(head + "".join(r for r in rows if r.split(",")[1] == "US"))


class Stack:
    """`covid-etl up` in its own folder, and direct access to its table."""

    def __init__(self, base: str, work: Path) -> None:
        self.work, self.port = work, free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COVID_ETL_"))}
        env.update(COVID_ETL_NYT_URL=f"{base}/nyt.csv", COVID_ETL_JHU_URL=f"{base}/jhu.csv",
                   COVID_ETL_LOOKUP_URL=str(LOOKUP), COVID_ETL_SCHEDULE_SECONDS="86400")
        self.env = env
        self.log = work / "up.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "covid_etl.cli", "up", "--port", str(self.port)],
                                         cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        state = work / ".covid-etl" / "stack.json"
        deadline = time.monotonic() + 180
        while not state.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("covid-etl up did not start")
            time.sleep(0.2)
        time.sleep(0.2)
        saved = json.loads(state.read_text())
        self.endpoint, self.table_name = saved["endpoint"], saved["env"]["COVID_ETL_TABLE"]
        self.table = boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                                    aws_access_key_id="testing", aws_secret_access_key="testing").Table(
                                        self.table_name)

    def runs(self) -> list[dict[str, Any]]:
        return self.table.query(KeyConditionExpression=Key("pk").eq("run"), ConsistentRead=True)["Items"]

    def wait_first(self, timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [r for r in self.runs() if r.get("status") in FINAL]
            if done:
                return self.settled(done[0]["run_id"])
            time.sleep(0.2)
        raise TimeoutError("the startup run did not end")

    def quiet(self, run: dict[str, Any], timeout: float = 20) -> None:
        """Wait until `up` has saved its state after `run` (it scans the table and the bucket, in the
        process that serves the emulator, once the announcement reaches it): the next run is measured
        on a quiet stack. A save replaces the state folder whole, `bucket.json` last."""
        ended = stamp(run["stage_notify"]["finished_at"]) if "stage_notify" in run else stamp(run["finished_at"])
        saved = self.work / ".covid-etl" / "state" / "bucket.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(FileNotFoundError):
                if saved.stat().st_mtime > ended:
                    return
            time.sleep(0.05)
        raise TimeoutError("up did not save its state after the run")

    def empty(self) -> None:
        """Delete the series, the source versions and the dataset version: an empty table again."""
        with self.table.batch_writer() as batch:
            # every item a load writes for the US job's regions (US, US-JHU), its versions and catalogue
            for pk in ("series#US", "series#US-JHU", "revision#US", "revision#US-JHU", "source", "meta", "load"):
                for item in self.table.query(KeyConditionExpression=Key("pk").eq(pk), ConsistentRead=True)["Items"]:
                    batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

    def run(self) -> dict[str, Any]:
        """`covid-etl run --wait --json`; returns the run's ledger record, with the CLI's exit time."""
        env = {k: v for k, v in self.env.items() if not k.startswith("COVID_ETL_")}
        out = subprocess.run([sys.executable, "-m", "covid_etl.cli", "run", "--wait", "--json"], cwd=self.work,
                             env=env, capture_output=True, text=True, check=True).stdout
        exited = time.time()
        run_id = json.loads(out.strip().splitlines()[-1])["run_id"]
        return {**self.settled(run_id), "cli_exited": exited}

    def settled(self, run_id: str) -> dict[str, Any]:
        """The run's record once the announcement is recorded and every stage's record is closed (the
        notifier writes its one record after its publish, after the run's end: `run --wait` may
        return before it, and the run's time is measured to the announcement)."""
        for _ in range(100):
            item = self.table.get_item(Key={"pk": "run", "sk": run_id}, ConsistentRead=True)["Item"]
            if "stage_notify" in item and all("finished_at" in v for k, v in item.items() if k.startswith("stage_")):
                return dict(item)
            time.sleep(0.05)
        raise TimeoutError(f"run {run_id}: a stage record stayed open")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def emulator_costs(endpoint: str, table: str, samples: int = 20) -> dict[str, float]:
    """Seconds per request of the calls a stage makes, on the stack's emulator (median of `samples`)."""
    kwargs: dict[str, Any] = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "testing",
                              "aws_secret_access_key": "testing"}
    ddb, s3, sqs = (boto3.client(name, **kwargs) for name in ("dynamodb", "s3", "sqs"))
    s3.create_bucket(Bucket="bench-probe")
    queue = sqs.create_queue(QueueName="bench-probe")["QueueUrl"]
    key = {"pk": {"S": "bench"}, "sk": {"S": "probe"}}
    newest = ddb.query(TableName=table, KeyConditionExpression="pk = :run", ExpressionAttributeValues={
        ":run": {"S": "run"}}, ScanIndexForward=False, Limit=1)["Items"][0]
    run = {"pk": newest["pk"], "sk": newest["sk"]}
    calls = {
        "DynamoDB PutItem": lambda: ddb.put_item(TableName=table, Item={**key, "n": {"N": "1"}}),
        "DynamoDB UpdateItem": lambda: ddb.update_item(TableName=table, Key=key, UpdateExpression="SET n = n + :one",
                                                       ExpressionAttributeValues={":one": {"N": "1"}}),
        "DynamoDB GetItem": lambda: ddb.get_item(TableName=table, Key=key, ConsistentRead=True),
        "DynamoDB GetItem (a run's record)": lambda: ddb.get_item(TableName=table, Key=run, ConsistentRead=True),
        "DynamoDB BatchWriteItem (25 puts)": lambda: ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": {"pk": {"S": "bench"}, "sk": {"S": f"probe{i}"}}}} for i in range(25)]}),
        "DynamoDB TransactWriteItems (25 puts; the table as after a load)": lambda: ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "bench"}, "sk": {"S": f"probe{i}"}}}}
                           for i in range(25)]),
        "S3 PutObject (1 KB)": lambda: s3.put_object(Bucket="bench-probe", Key="probe", Body=b"x" * 1024),
        "S3 HeadObject": lambda: s3.head_object(Bucket="bench-probe", Key="probe"),
        "SQS SendMessage": lambda: sqs.send_message(QueueUrl=queue, MessageBody="x" * 1024),
        "SQS ReceiveMessage": lambda: sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1),
    }
    out = {}
    for name, call in calls.items():
        call()
        times = []
        for _ in range(samples):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        out[name] = statistics.median(times)
    return out


def figures(run: dict[str, Any]) -> dict[str, float]:
    """Seconds: the run, each stage, each hop (one stage's end to the next one's start), the CLI's lag."""
    # the announcement is the notifier's end; the run's own end is written earlier now, by the stage
    # whose event ends it (the loader's, or the extractor's for no change)
    announced = stamp(run["stage_notify"]["finished_at"]) if "stage_notify" in run else stamp(run["finished_at"])
    out = {"run": announced - stamp(run["started_at"])}
    stages = [s for s in STAGES if f"stage_{s}" in run]
    for stage in stages:
        record = run[f"stage_{stage}"]
        out[stage] = stamp(record["finished_at"]) - stamp(record["started_at"])
    for before, after in zip(stages, stages[1:], strict=False):
        out[f"hop {before}->{after}"] = stamp(run[f"stage_{after}"]["started_at"]) - stamp(
            run[f"stage_{before}"]["finished_at"])
    if "cli_exited" in run:
        out["cli after announcement"] = run["cli_exited"] - announced
    return out


def repetition(profile: Profile, folder: Path) -> list[dict[str, Any]]:
    """One stack, one peer: the first run after `up`, then (a), (b), (c) each beside the peer's."""
    put_sources(folder, "2021-03-15")
    server = SourceServer(folder, profile)
    stack = Stack(server.base, Path(tempfile.mkdtemp(prefix="bench-stack-")))
    rows: list[dict[str, Any]] = []

    def row(what: str, pipeline: dict[str, float], peer: dict[str, Any] | None, counts: str) -> None:
        rows.append({"profile": profile.name, "what": what, "pipeline": pipeline,
                     "peer": peer["seconds"] if peer else None, "counts": counts, "load": os.getloadavg()[0]})

    try:
        first = stack.wait_first()
        stack.quiet(first)
        peer = Baseline(stack.endpoint, f"{server.base}/nyt.csv", f"{server.base}/jhu.csv")
        peer.run()  # warm: its imports, clients and pandas paths, as a warm Lambda's
        peer.empty()
        row("first run after up", figures(first), None, f"{first.get('inserted')} inserted")
        a_peer = peer.run()
        stack.empty()
        a = stack.run()
        stack.quiet(a)
        row("(a) full load into an empty table", figures(a), a_peer, f"{a.get('inserted')} ins / {a_peer['written']}")
        put_sources(folder, NEW_DAY)
        b_peer = peer.run()
        b = stack.run()
        stack.quiet(b)
        row("(b) one new day (NYT changed, JHU not)", figures(b), b_peer,
            f"{b.get('inserted')} ins {b.get('updated')} upd / {b_peer['written']}")
        c_peer = peer.run()
        c = stack.run()
        stack.quiet(c)
        row("(c) no change", figures(c), c_peer, f"{c.get('status')} / {c_peer['written']}")
        if profile is LOOPBACK:
            row("emulator per request", emulator_costs(stack.endpoint, stack.table_name), None, "")
            for ms in first_paint_ms(f"http://127.0.0.1:{stack.port}/"):
                row("dashboard first paint with data", {"paint": ms / 1000}, None, "")
    finally:
        stack.stop()
        server.stop()
    return rows


def measure(profiles: tuple[Profile, ...] = (LOOPBACK, REALISTIC)) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(REPEAT):
        for profile in profiles:
            print(f"  pipeline: repetition {i + 1}/{REPEAT}, {profile.name}", flush=True)
            rows += repetition(profile, Path(tempfile.mkdtemp(prefix="bench-sources-")))
    return rows


def main() -> int:
    if not DATA.is_dir():
        print("../shared/data not found: the pipeline benchmark needs the real snapshots")
        return 0
    from bench import results

    results.save("pipeline", measure())
    return 0
