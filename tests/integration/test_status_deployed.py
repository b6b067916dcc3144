"""`covid-etl status` on a deployed system, found from its prefix and region (SSM parameters, as the
CDK stacks write them), against the emulator over HTTP: the verdict follows the runs and the DLQs."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from covid_etl import cli
from covid_etl.resources import Resources, provision
from shared import aws
from shared.ledger import RunLedger, now_iso
from shared.runs import RunEnd, StageRecord
from tests.conftest import Emulator, clear_caches
from tests.integration.test_deployed import publish_like_the_stacks


def status(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = cli.main(["status", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_status_of_a_deployed_system(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    prefix = f"deployed-{uuid.uuid4().hex[:8]}"
    env = provision(Resources(prefix=prefix))
    publish_like_the_stacks(env, prefix)
    monkeypatch.chdir(tmp_path)  # no local stack here
    monkeypatch.setenv("COVID_ETL_PREFIX", prefix)
    for key in [k for k in env if k != "COVID_ETL_PREFIX"]:
        monkeypatch.delenv(key, raising=False)
    clear_caches()

    code, report = status(capsys)
    assert code == 1 and report["stack"] == "deployed" and report["processes"] == []
    assert report["where"] == f"prefix {prefix} in us-east-1"
    assert report["problems"] == ["no run has succeeded yet"]

    ledger = RunLedger(env["COVID_ETL_TABLE"])
    ledger.open("20261129T060000Z-aaaa", "schedule", "extract", StageRecord(status="running", started_at=now_iso()))
    ledger.close("20261129T060000Z-aaaa", RunEnd(status="no_change", finished_at=now_iso()))
    code, report = status(capsys)
    assert (code, report["healthy"], report["last_success"]["run_id"]) == (0, True, "20261129T060000Z-aaaa")

    aws.client("sqs").send_message(QueueUrl=env["COVID_ETL_NOTIFIER_DLQ_URL"], MessageBody="{}")
    code, report = status(capsys)
    assert code == 1 and report["problems"][0].startswith("1 message(s) in the notifier DLQ")
    assert [q["dead_letters"] for q in report["queues"]] == [0, 0, 0, 1]
