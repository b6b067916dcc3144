"""`covid-etl status`, `run` and `runs` against a deployed system (found from COVID_ETL_PREFIX and the
region, here on the emulator over HTTP) in a process where moto, werkzeug and the local stack's package
cannot be imported: they answer, and none of them was loaded (nor is it where they could be)."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

from covid_etl.resources import Resources, provision
from shared import aws
from shared.topology import EXTRACTOR
from tests.conftest import Emulator
from tests.integration.test_deployed import publish_like_the_stacks
from tests.support.without import EMULATOR, python_without

RUN_CLI = """
import json
from covid_etl import cli
code = cli.main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("moto", "werkzeug") or m.startswith("covid_etl.local"))
print(json.dumps({"code": code, "loaded": loaded}))
"""


@pytest.fixture
def deployed(emulator: Emulator, tmp_path: Path) -> dict[str, str]:
    """A deployment's environment as an operator has it: a prefix, a region, credentials; no stack here."""
    prefix = f"deployed-{uuid.uuid4().hex[:8]}"
    env = provision(Resources(prefix=prefix))
    publish_like_the_stacks(env, prefix)
    base = {k: v for k, v in os.environ.items() if not k.startswith("COVID_ETL_")}
    return {**base, "COVID_ETL_PREFIX": prefix, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": emulator.endpoint}


def cli(env: dict[str, str], cwd: Path, *args: str, blocked: tuple[str, ...] = EMULATOR) -> tuple[list[str], dict]:
    done = python_without(blocked, RUN_CLI, *args, env=env, cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    *out, last = done.stdout.splitlines()
    return out, json.loads(last)


def test_status_and_run_against_a_deployment_load_no_emulator(deployed: dict[str, str], tmp_path: Path) -> None:
    out, child = cli(deployed, tmp_path, "status", "--json")
    assert child == {"code": 1, "loaded": []}  # no run has succeeded yet: a person is needed
    report = json.loads(out[0])
    assert report["stack"] == "deployed" and report["problems"] == ["no run has succeeded yet"]
    # with moto importable too: nothing tries it and gets by without it
    assert cli(deployed, tmp_path, "status", "--json", blocked=())[1] == {"code": 1, "loaded": []}

    out, child = cli(deployed, tmp_path, "run", "--json")
    assert child == {"code": 0, "loaded": []}
    run_id = json.loads(out[0])["run_id"]
    queue = Resources(prefix=deployed["COVID_ETL_PREFIX"]).queue(EXTRACTOR.name)
    url = aws.client("sqs").get_queue_url(QueueName=queue)["QueueUrl"]
    [sent] = aws.client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    assert json.loads(sent["Body"])["envelope"]["run_id"] == run_id
    out, child = cli(deployed, tmp_path, "runs", "--json")
    assert child == {"code": 0, "loaded": []} and json.loads(out[0]) == []
