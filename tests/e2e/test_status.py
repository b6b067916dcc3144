"""`covid-etl status` on a running stack, healthy and broken, as a cron check would run it; and a first
run that cannot reach a source makes `up` print how to run on local files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import fixtures
from support.sources import SourceServer
from support.stack import Stack, clean_env, free_port

from shared.sources import offline_recipe

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def status(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return stack.cli("status", *args, timeout=60)


def keep(name: str, text: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(text)


def test_status_of_a_healthy_stack(tmp_path: Path) -> None:
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(fixtures.old_pair())
        with Stack.up(tmp_path / "stack", sources.url("nyt.csv"), sources.url("jhu.csv")) as stack:
            first = stack.first_run()
            assert first["status"] == "succeeded", stack.logs()
            done = status(stack)
            keep("status-healthy.txt", done.stdout)
            assert done.returncode == 0, done.stdout + done.stderr
            assert done.stdout.startswith("covid-etl status: healthy")
            report = json.loads(status(stack, "--json").stdout)
            assert report["healthy"] is True and report["stack"] == "local"
            assert report["last_success"]["run_id"] == first["run_id"] == report["last_run"]["run_id"]
            assert {p["name"]: p["up"] for p in report["processes"]} == {
                "extractor": True, "transformer": True, "loader": True, "notifier": True, "api": True}
            assert [q["dead_letters"] for q in report["queues"]] == [0, 0, 0, 0]
            assert {s["name"]: s["last_date"] for s in report["sources"]} == {  # the lookup has no dates
                "nyt": "2020-03-20", "jhu": "2020-03-22", "lookup": None}
        # stopped, on a machine with no AWS region configured (else it looks for a deployed stack)
        env = {k: v for k, v in clean_env().items() if k not in ("AWS_DEFAULT_REGION", "AWS_REGION")}
        gone = subprocess.run([sys.executable, "-m", "covid_etl.cli", "status"], cwd=stack.folder, env=env,
                              capture_output=True, text=True, timeout=60)
        assert gone.returncode == 3 and "no stack is running here" in gone.stdout


def test_status_of_a_broken_stack_and_the_local_files_recipe(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}/nyt.csv"  # nothing listens there: as without internet
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(fixtures.old_pair())
        with Stack.up(tmp_path / "stack", unreachable, sources.url("jhu.csv")) as stack:
            first = stack.first_run(timeout=120)
            assert first["status"] == "failed" and first["stage"] == "extract", stack.logs()
            assert "cannot connect" in first["error"]
            stack._wait(lambda: "make run" in (stack.folder / "up.log").read_text(), 20, "no recipe printed")
            printed = (stack.folder / "up.log").read_text()
            assert all(line.strip() in printed for line in offline_recipe().splitlines())
            assert "COVID_ETL_NYT_URL=../shared/data/nyt/us.csv" in printed

            sqs = stack.client("sqs")  # a message the loader gave up on
            sqs.send_message(QueueUrl=stack.setting("COVID_ETL_LOADER_DLQ_URL"), MessageBody="{}")
            done = status(stack)
            keep("status-broken.txt", done.stdout)
            assert done.returncode == 1, done.stdout + done.stderr
            assert done.stdout.startswith("covid-etl status: NEEDS A PERSON (2 problem(s))")
            report = json.loads(status(stack, "--json").stdout)
            assert report["healthy"] is False and report["last_success"] is None
            assert report["last_run"]["run_id"] == first["run_id"]
            assert report["problems"][0].startswith("1 message(s) in the loader DLQ")
            assert report["problems"][1].startswith("no run has succeeded yet; the last one failed: ")
