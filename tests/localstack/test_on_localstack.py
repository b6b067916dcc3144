"""The same stack on LocalStack (host process, no Docker): `covid-etl up` uses the emulator that
AWS_ENDPOINT_URL names instead of starting one, and `replay --dlq` moves dead letters with SQS's
own StartMessageMoveTask, which moto lacks. DynamoDB runs on moto beside it (LocalStack would
download DynamoDB Local at first use, which an offline machine cannot).

Needs `.venv-localstack` (`make localstack-env`, Python >= 3.13); skipped with that reason otherwise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from support import fixtures
from support.reference import reference
from support.sources import SourceServer
from support.stack import Stack, free_port

ROOT = Path(__file__).resolve().parents[2]
LOCALSTACK_PYTHON = ROOT / ".venv-localstack" / "bin" / "python"


@pytest.fixture(scope="module")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not LOCALSTACK_PYTHON.exists():
        pytest.skip("LocalStack is not installed: `make localstack-env` (needs Python >= 3.13)")
    port, folder = free_port(), tmp_path_factory.mktemp("localstack")
    env = {**os.environ, "GATEWAY_LISTEN": f"127.0.0.1:{port}", "SERVICES": "sqs,sns,s3,events",
           "LOCALSTACK_VOLUME_DIR": str(folder / "volume"), "DNS_ADDRESS": "0", "SKIP_SSL_CERT_DOWNLOAD": "1"}
    with open(folder / "localstack.log", "wb") as log:
        process = subprocess.Popen([str(LOCALSTACK_PYTHON), "-m", "localstack.runtime.main"], env=env,
                                   stdout=log, stderr=log, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not _ready(endpoint):
            assert process.poll() is None and time.monotonic() < deadline, (folder / "localstack.log").read_text()
            time.sleep(0.5)
        yield endpoint
    finally:
        process.terminate()  # LocalStack may ignore SIGTERM for a while: then it is killed
        try:
            process.wait(7)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def _ready(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            services = json.load(response)["services"]
    except (OSError, ValueError, KeyError):
        return False
    return all(services.get(name) in ("available", "running") for name in ("sqs", "sns", "s3", "events"))


class SplitStack(Stack):
    """The harness, reading the table from the DynamoDB endpoint rather than LocalStack."""

    def _table(self) -> Any:
        resource = boto3.resource("dynamodb", endpoint_url=self.setting("AWS_ENDPOINT_URL_DYNAMODB"),
                                  region_name="us-east-1", aws_access_key_id="testing",
                                  aws_secret_access_key="testing")
        return resource.Table(self.setting("COVID_ETL_TABLE"))


def test_pipeline_and_dlq_replay_on_localstack(localstack: str, emulator: Any, tmp_path: Path) -> None:
    old, new = fixtures.old_pair(), fixtures.new_pair()
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(old)
        with SplitStack.up(tmp_path / "stack", sources.url("nyt.csv"), sources.url("jhu.csv"),
                           AWS_ENDPOINT_URL=localstack, AWS_ENDPOINT_URL_DYNAMODB=emulator.endpoint) as stack:
            assert f"using the emulator at {localstack}" in (stack.folder / "up.log").read_text()
            assert stack.first_run()["status"] == "succeeded", stack.logs()
            assert stack.table() == reference(old)
            sources.put_pair(new)
            second = stack.run()
            assert second["status"] == "succeeded" and stack.table()[-1] == reference(new)[-1]

            # A dead letter: the archived loader message of the second run, put into the loader's DLQ.
            sqs, s3 = stack.client("sqs"), stack.client("s3")
            bucket = stack.setting("COVID_ETL_BUCKET")
            prefix = f"archive/{second['run_id']}/loader/"
            key = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"][0]["Key"]
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            sqs.send_message(QueueUrl=stack.setting("COVID_ETL_LOADER_DLQ_URL"), MessageBody=body)
            before = stack.table()

            done = stack.cli("replay", "--dlq", "load")
            assert done.returncode == 0, done.stderr
            summary = json.loads(done.stdout.strip().splitlines()[-1])
            assert summary == {"stage": "load", "dry_run": False, "messages": 1, "moved": 1,
                               "method": "StartMessageMoveTask"}, done.stderr
            # The replayed message was handled already: it changes nothing.
            time.sleep(3)
            assert stack.table() == before
            attributes = sqs.get_queue_attributes(QueueUrl=stack.setting("COVID_ETL_LOADER_DLQ_URL"),
                                                  AttributeNames=["ApproximateNumberOfMessages"])
            assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
