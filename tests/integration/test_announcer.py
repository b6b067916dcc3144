"""SnsAnnouncer publishes to the topic; an SQS subscription reads the message and its attributes back."""

from __future__ import annotations

import json

from services.notifier.handler import SnsAnnouncer
from shared import aws


def test_announcement_reaches_a_subscribed_queue(provisioned: dict[str, str]) -> None:
    sqs, sns = aws.client("sqs"), aws.client("sns")
    url = sqs.create_queue(QueueName=f"{provisioned['COVID_ETL_PREFIX']}-subscriber")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=provisioned["COVID_ETL_TOPIC_ARN"], Protocol="sqs", Endpoint=arn)

    body = {"status": "no_change", "run_id": "run-7", "inserted": 0, "text": "no change"}
    SnsAnnouncer(provisioned["COVID_ETL_TOPIC_ARN"]).announce("covid-etl: run found no change " + "x" * 200, body)

    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"]
    envelope = json.loads(message["Body"])
    assert json.loads(envelope["Message"]) == body
    assert envelope["Subject"].startswith("covid-etl: run found no change") and len(envelope["Subject"]) == 100
    attributes = {k: v["Value"] for k, v in envelope["MessageAttributes"].items()}
    assert attributes == {"status": "no_change", "run_id": "run-7"}
