"""Publishing messages to the next stage's queue."""

from __future__ import annotations

from typing import Any, Protocol

from shared import aws
from shared.messages import Message


class Publisher(Protocol):
    """Sends a message to one of the pipeline's queues, named by its consumer."""

    def send(self, queue: str, message: Message) -> None: ...


class SqsPublisher:
    def __init__(self, queue_urls: dict[str, str], client: Any | None = None) -> None:
        self.queue_urls = queue_urls
        self.sqs = client or aws.client("sqs")

    def send(self, queue: str, message: Message) -> None:
        self.sqs.send_message(
            QueueUrl=self.queue_urls[queue],
            MessageBody=message.to_json(),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": message.payload.kind},
                "run_id": {"DataType": "String", "StringValue": message.envelope.run_id},
            },
        )


class MemoryPublisher:
    """A fake that records what was sent, for unit tests."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []

    def send(self, queue: str, message: Message) -> None:
        self.sent.append((queue, message))
