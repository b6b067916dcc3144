"""`covid-etl up`'s watch on the runs topic: when its supervisor reads the run ledger.

The supervisor prints each run that ends and saves the state then. It used to Query the run
partition every second; on the embedded emulator, which serves from `up`'s own process, each Query
held moto (and the GIL) for a while whether a run was in flight or not. Instead `up` subscribes a
queue of its own (`Resources.up_events`) to the topic on which the notifier announces every run's
end (succeeded, no change, failed), waits on it a second at a time, and reads the ledger when an
announcement arrives; with none, every `LOOK_EVERY_S` anyway, so that a run that ended without an
announcement (its notifier message in a DLQ) is still printed and saved.

Not a pipeline queue: it is not in `shared.topology.QUEUES`, so `covid-etl status`, replay and the
CDK app never see it, and neither docker-compose's stack nor the CDK deployment has it.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from shared import aws
from shared.clock import SYSTEM, Clock
from shared.topology import Resources

LOOK_EVERY_S = 30.0
RETENTION_S = 3600  # announcements left while `up` was stopped (on LocalStack) are only a reason to look


class Announcements(Protocol):
    def wait(self, seconds: int) -> bool:
        """Wait up to `seconds` for announcements and consume them; whether any arrived."""


class AnnouncementQueue:
    """The SQS queue subscribed to the runs topic."""

    def __init__(self, url: str, client: Any = None, clock: Clock = SYSTEM) -> None:
        self.url, self.sqs, self.clock = url, client or aws.client("sqs"), clock

    @classmethod
    def subscribe(cls, res: Resources, topic_arn: str) -> AnnouncementQueue:
        """Create the queue and its subscription if missing (both calls are idempotent)."""
        sqs = aws.client("sqs")
        url = sqs.create_queue(QueueName=res.up_events)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}}}]}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy),
                                                           "MessageRetentionPeriod": str(RETENTION_S)})
        # raw delivery: up reads no envelope, and moto signs an enveloped message (its first one made
        # the subscription's RSA key, 53 ms, inside the first run after up; then a certificate each time)
        aws.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn,
                                    Attributes={"RawMessageDelivery": "true"})
        return cls(url, sqs)

    def wait(self, seconds: int) -> bool:
        try:
            got = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=seconds).get("Messages", [])
            if got:
                self.sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
        except Exception:  # the emulator is busy or gone: wait out the second and look, as before
            self.clock.sleep(seconds)
            return True
        return bool(got)


class RunEndWatch:
    """Whether the supervisor reads the ledger now: after an announcement, or after LOOK_EVERY_S without."""

    def __init__(self, announcements: Announcements, clock: Clock = SYSTEM, every_s: float = LOOK_EVERY_S) -> None:
        self.announcements, self.clock, self.every_s = announcements, clock, every_s
        self.next_look = clock.monotonic() + every_s

    def wait(self, seconds: int = 1) -> bool:
        """Wait up to `seconds` (less when an announcement arrives); True when it is time to look."""
        announced = self.announcements.wait(seconds)
        now = self.clock.monotonic()
        if announced or now >= self.next_look:
            self.next_look = now + self.every_s
            return True
        return False

    def look_soon(self) -> None:
        """The look failed (the emulator busy): the next `wait` says to look again, announcement or not."""
        self.next_look = self.clock.monotonic()
