"""The e2e harness: `covid-etl up` as a real process group, and ways to look into it.

    with Stack.up(tmp_path, nyt_url, jhu_url) as stack:
        stack.first_run()                 # the startup run, once it has ended
        result = stack.run()              # `covid-etl run --wait --json` from the stack's folder
        stack.table()                     # the daily rows, read from DynamoDB over HTTP
        stack.notification(run_id)        # the SNS message of a run, via an SQS subscription

The stack runs with its own embedded emulator on a free port and the API on another free port; its
`.covid-etl/stack.json` (endpoint and resource names) is read from the stack's folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from shared.runs import FINAL

LOOKUP_FILE = Path(__file__).resolve().parent / "lookup.csv"  # the excerpt described in `fixtures`

DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (never 8080, which a developer's own stack may hold)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != 8080:
            return port


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without AWS or covid-etl settings (tests may have set some); the
    optional lookup source reads the small fixture (`fixtures.LOOKUP_FILE`), never the live file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COVID_ETL_"))}
    return {**env, **DUMMY_AWS, "COVID_ETL_LOOKUP_URL": str(LOOKUP_FILE), **extra}


@dataclass
class Notification:
    subject: str
    body: dict[str, Any]
    attributes: dict[str, str]


class Stack:
    def __init__(self, folder: Path, env: dict[str, str], port: int, up_args: tuple[str, ...] = ()) -> None:
        self.folder, self.env, self.port, self.up_args = folder, env, port, up_args
        self.api = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}
        self._queue_url: str | None = None
        self._received: list[Notification] = []

    @classmethod
    def up(cls, folder: Path, nyt_url: str, jhu_url: str, timeout: float = 90, up_args: tuple[str, ...] = (),
           **settings: str) -> Stack:
        """Start a stack in `folder` reading the given sources; returns once the API answers.
        `up_args` are more arguments of `covid-etl up` (`--fresh`)."""
        folder.mkdir(parents=True, exist_ok=True)
        env = clean_env(COVID_ETL_NYT_URL=nyt_url, COVID_ETL_JHU_URL=jhu_url,
                        COVID_ETL_SCHEDULE_SECONDS="86400", COVID_ETL_HTTP_RETRIES="2", **settings)
        stack = cls(folder, env, free_port(), up_args)
        stack.start(timeout)
        return stack

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, timeout: float) -> None:
        cmd = [sys.executable, "-m", "covid_etl.cli", "up", "--port", str(self.port), "--emulator-port", "0",
               *self.up_args]
        with open(self.folder / "up.log", "ab") as log:
            self.process = subprocess.Popen(cmd, cwd=self.folder, env=self.env, stdout=log, stderr=log,
                                            start_new_session=True)
        try:
            self._wait(self._ready, timeout, "the stack did not come up")
        except BaseException:
            self.stop()
            raise
        self.state = json.loads((self.folder / ".covid-etl" / "stack.json").read_text())

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"covid-etl up exited with {self.process.returncode}\n{self.logs()}")
        if not (self.folder / ".covid-etl" / "stack.json").is_file():
            return False
        try:
            urllib.request.urlopen(f"{self.api}/healthz", timeout=2).close()
        except OSError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL to the process group: `up`, its emulator, workers and API die without a word."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        """SIGINT to the process group, then SIGKILL if it has not ended within 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def logs(self, tail: int = 4000) -> str:
        """The end of each process's log, for failure messages."""
        paths = [self.folder / "up.log", *sorted((self.folder / ".covid-etl" / "logs").glob("*.log"))]
        parts = [f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}" for p in paths if p.is_file()]
        return "\n".join(parts)

    @staticmethod
    def _wait(check: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.3)
        raise TimeoutError(what)

    # -- AWS, as the stack's emulator ----------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return self.state["endpoint"]

    def setting(self, name: str) -> str:
        return self.state["env"][name]

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def _table(self) -> Any:
        resource = boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                                  aws_access_key_id="testing", aws_secret_access_key="testing")
        return resource.Table(self.setting("COVID_ETL_TABLE"))

    def _query(self, pk: str) -> list[dict[str, Any]]:
        items, kwargs = [], {"KeyConditionExpression": Key("pk").eq(pk), "ConsistentRead": True}
        while True:
            page = self._table().query(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def table(self) -> list[tuple[str, int, int, int | None]]:
        """The daily rows as (date, cases, deaths, recovered), sorted by date."""
        return [(i["sk"], int(i["cases"]), int(i["deaths"]),
                 int(i["recovered"]) if "recovered" in i else None) for i in self._query("series#US")]

    def runs(self) -> list[dict[str, Any]]:
        """The run records, oldest first."""
        return self._query("run")

    def first_run(self, timeout: float = 90) -> dict[str, Any]:
        """The startup run, once it has ended."""
        def ended() -> dict[str, Any] | None:
            runs = [r for r in self.runs() if r.get("trigger") == "startup"]
            return runs[0] if runs and runs[0].get("status") in FINAL else None
        try:
            return self._wait(ended, timeout, "the first run did not end")
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.logs()}") from None

    # -- the CLI --------------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "covid_etl.cli", *args]
        return subprocess.run(cmd, cwd=self.folder, env=clean_env(), capture_output=True, text=True,
                              timeout=timeout)

    def run(self, *args: str, expect_rc: tuple[int, ...] = (0,)) -> dict[str, Any]:
        """`covid-etl run --wait --json [args]`; the parsed JSON line."""
        done = self.cli("run", "--wait", "--json", "--timeout", "150", *args)
        lines = done.stdout.strip().splitlines()
        if done.returncode not in expect_rc or not lines:
            raise AssertionError(f"covid-etl run exited with {done.returncode}\n{done.stdout}\n{done.stderr}\n"
                                 f"{self.logs()}")
        return json.loads(lines[-1])

    # -- notifications --------------------------------------------------------------------------
    def subscribe(self) -> str:
        """Subscribe a new SQS queue to the runs topic; notifications published later land in it."""
        sqs, sns = self.client("sqs"), self.client("sns")
        url = sqs.create_queue(QueueName=f"test-notifications-{self.port}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=self.setting("COVID_ETL_TOPIC_ARN"), Protocol="sqs", Endpoint=arn)
        self._queue_url = url
        return url

    def notifications(self) -> list[Notification]:
        """Every notification received so far (drains the subscribed queue)."""
        assert self._queue_url, "call subscribe() first"
        sqs = self.client("sqs")
        while True:
            got = sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = got.get("Messages", [])
            if not messages:
                return list(self._received)
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
                self._received.append(Notification(envelope.get("Subject", ""), json.loads(envelope["Message"]),
                                                   attributes))
                sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])

    def notification(self, run_id: str, timeout: float = 20) -> Notification:
        """The notification of one run (waits for it)."""
        def found() -> Notification | None:
            return next((n for n in self.notifications() if n.body.get("run_id") == run_id), None)
        return self._wait(found, timeout, f"no notification for run {run_id}")
