"""The CLI finds a deployed system from its prefix and region: the SSM parameters the CDK app writes."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from covid_etl import cli
from covid_etl.deployed import deployed_env, parameter_name
from covid_etl.resources import Resources, provision
from shared import aws
from shared.topology import QUEUES, SERVICE_PARAMETERS
from tests.conftest import Emulator, clear_caches


def publish_like_the_stacks(env: dict[str, str], prefix: str) -> None:
    """The parameters of the data stack and of each service stack (infra/stacks/refs.py: publish)."""
    ssm = aws.client("ssm")
    values = {parameter_name(prefix, "table"): env["COVID_ETL_TABLE"],
              parameter_name(prefix, "bucket"): env["COVID_ETL_BUCKET"],
              parameter_name(prefix, "topic-arn"): env["COVID_ETL_TOPIC_ARN"],
              parameter_name(prefix, "key-arn"): "arn:aws:kms:us-east-1:123456789012:key/not-a-setting"}
    for stage in QUEUES:
        for key, variable in SERVICE_PARAMETERS.items():
            values[parameter_name(prefix, key, stage)] = env[variable(stage)]
    for name, value in values.items():
        ssm.put_parameter(Name=name, Value=value, Type="String", Overwrite=True)


def test_run_and_runs_need_only_the_prefix_and_region(emulator: Emulator, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    prefix = f"deployed-{uuid.uuid4().hex[:8]}"
    env = provision(Resources(prefix=prefix))
    publish_like_the_stacks(env, prefix)
    assert deployed_env(prefix) == {"COVID_ETL_PREFIX": prefix, **{k: v for k, v in env.items()
                                                                    if k != "COVID_ETL_PREFIX"}}
    assert deployed_env(f"{prefix}-none") == {}

    monkeypatch.chdir(tmp_path)  # no local stack here
    monkeypatch.setenv("COVID_ETL_PREFIX", prefix)
    for key in [k for k in env if k != "COVID_ETL_PREFIX"]:
        monkeypatch.delenv(key, raising=False)
    clear_caches()
    assert cli.main(["run", "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    sqs = aws.client("sqs")
    received = sqs.receive_message(QueueUrl=env["COVID_ETL_EXTRACTOR_QUEUE_URL"], WaitTimeSeconds=2)["Messages"]
    assert json.loads(received[0]["Body"])["envelope"]["run_id"] == run_id
    assert cli.main(["runs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_looking_for_a_deployment_with_no_network_answers_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS reachable (a closed port): the CLI says 'no stack' at once, not after 8 attempts and their
    backoff (~42 s). Each attempt is refused at once; the waits botocore makes between them are
    recorded instead of slept, and add up to a second at most."""
    import botocore.endpoint

    from covid_etl.deployed import use_deployed

    waits: list[float] = []
    this = threading.current_thread()

    def sleep(seconds: float) -> None:  # this thread's waits are recorded; another's (an earlier test's) sleep
        waits.append(seconds) if threading.current_thread() is this else time.sleep(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=sleep))

    monkeypatch.delenv("COVID_ETL_EXTRACTOR_QUEUE_URL", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:9")  # discard port: refused at once
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    assert use_deployed() is False
    assert sum(waits) <= 1, waits
