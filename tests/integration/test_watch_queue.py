"""`up`'s announcement queue on the emulator: subscribed raw, and woken by a publish."""

from __future__ import annotations

import json
import uuid

import boto3

from covid_etl.local.watch import AnnouncementQueue
from shared.topology import Resources
from tests.conftest import Emulator


def test_the_queue_gets_each_announcement_raw_and_is_emptied(emulator: Emulator) -> None:
    res = Resources(prefix=f"u{uuid.uuid4().hex[:10]}")
    sns = boto3.client("sns")
    topic = sns.create_topic(Name=res.topic)["TopicArn"]
    queue = AnnouncementQueue.subscribe(res, topic)
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
    assert attributes["RawMessageDelivery"] == "true"  # no envelope: none for moto to sign
    assert queue.wait(0) is False
    sns.publish(TopicArn=topic, Message=json.dumps({"default": json.dumps({"run_id": "r"})}), MessageStructure="json")
    assert queue.wait(1) is True and queue.wait(0) is False  # consumed
