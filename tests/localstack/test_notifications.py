"""Notifications a person reads, through real SNS subscriptions on LocalStack, for each way a run ends:
an email subscriber gets the readable text, a queue subscriber the JSON body (MessageStructure=json),
and a subscription filtered on the `status` message attribute gets only the failures.

LocalStack delivers email through its SES, read back at /_aws/ses (its subject there is LocalStack's
own; the SNS subject is checked on the queue's envelope)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from datetime import date
from typing import Any

import boto3

from services.notifier import letter
from services.notifier.handler import SnsAnnouncer
from shared.messages import SourceVersion
from shared.runs import Run
from tests.localstack.harness import Server

NYT = SourceVersion(name="nyt", url="http://127.0.0.1/nyt.csv", key="raw/nyt/a.csv", sha256="a" * 64, bytes=1234,
                    changed=True, last_date=date(2021, 3, 16))
OUTCOMES = {
    "succeeded": dict(inserted=215, updated=116, unchanged=89, rows_total=420, first_date="2020-01-22",
                      last_date="2021-03-16", sources=[NYT], warnings=["nyt: cases went down on 2021-03-02"]),
    "no_change": dict(inserted=0, updated=0, unchanged=420, rows_total=420, first_date="2020-01-22",
                      last_date="2021-03-16", sources=[NYT.model_copy(update={"changed": False})]),
    "failed": dict(stage="transform", error="nyt: got an HTML page instead of CSV", raw_keys=["raw/nyt/b.csv"],
                   inserted=0, updated=0, rows_total=420, first_date="2020-01-22", last_date="2021-03-16"),
}
DASHBOARD = "http://127.0.0.1:8080/"


def client(server: Server, service: str) -> Any:
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def queue_subscriber(server: Server, topic: str, name: str, policy: dict[str, Any] | None = None) -> str:
    sqs, sns = client(server, "sqs"), client(server, "sns")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    extra = {"Attributes": {"FilterPolicy": json.dumps(policy)}} if policy else {}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, **extra)
    return url


def drain(server: Server, url: str, want: int) -> list[dict[str, Any]]:
    sqs, got = client(server, "sqs"), []
    for _ in range(20):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if len(got) >= want:
            break
    return got


def emails(server: Server, address: str, want: int) -> list[str]:
    """The text of the emails sent to `address`; SNS delivers them asynchronously, SES loads at first use."""
    deadline, got = time.monotonic() + 30, []
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{server.endpoint}/_aws/ses", timeout=10) as response:
                sent = json.load(response)["messages"]
        except urllib.error.HTTPError:  # 404 until SES has started
            sent = []
        got = [m["Body"]["text_part"] for m in sent if address in m["Destination"]["ToAddresses"]]
        if len(got) >= want:
            break
        time.sleep(0.5)
    return got


def test_each_outcome_reads_as_text_by_email_and_as_json_by_queue(localstack: Server) -> None:
    tag = uuid.uuid4().hex[:8]
    sns = client(localstack, "sns")
    topic = sns.create_topic(Name=f"runs-{tag}")["TopicArn"]
    address = f"operator-{tag}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)
    everything = queue_subscriber(localstack, topic, f"all-{tag}")
    failures = queue_subscriber(localstack, topic, f"failures-{tag}", {"status": ["failed"]})

    runs = {status: Run.model_validate({"run_id": f"20261129T0{i}0000Z-{tag}", "status": status, **fields})
            for i, (status, fields) in enumerate(OUTCOMES.items())}
    announcer = SnsAnnouncer(topic, client=sns)
    for run in runs.values():
        announcer.announce(letter.subject(run), letter.body(run, DASHBOARD))

    envelopes = {json.loads(e["Message"])["status"]: e for e in drain(localstack, everything, 3)}
    assert set(envelopes) == set(OUTCOMES)
    for status, run in runs.items():
        envelope, want = envelopes[status], letter.body(run, DASHBOARD)
        assert json.loads(envelope["Message"]) == want  # the JSON body, not the text
        assert envelope["Subject"] == letter.subject(run)
        assert {k: v["Value"] for k, v in envelope["MessageAttributes"].items()} == {
            "status": status, "run_id": run.run_id}
    assert envelopes["succeeded"]["Subject"] == "covid-etl: run succeeded, 215 inserted, 116 updated (1 warning)"
    assert envelopes["failed"]["Subject"] == "covid-etl: run FAILED in transform"

    sent = emails(localstack, address, len(runs))
    texts: dict[str, str] = {run.status: next(t for t in sent if run.run_id in t) for run in runs.values()}
    for status, run in runs.items():
        assert texts[status] == letter.text(run, DASHBOARD)  # the readable text, not the JSON
        assert not texts[status].lstrip().startswith("{")
    assert "  - nyt: cases went down on 2021-03-02" in texts["succeeded"].splitlines()
    assert "Date range   2020-01-22 to 2021-03-16" in texts["succeeded"].splitlines()
    assert f"Dashboard: {DASHBOARD}" in texts["no_change"]
    failed = texts["failed"]
    assert "What to do next" in failed and f"covid-etl replay --run {runs['failed'].run_id} --from transform" in failed

    [only] = drain(localstack, failures, 1)  # the filter on the status attribute
    assert json.loads(only["Message"])["status"] == "failed"
    assert drain(localstack, failures, 1) == []
