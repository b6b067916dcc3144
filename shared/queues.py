"""Publishing messages to the next stage's queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from shared import aws, tracing
from shared.blobs import BlobStore
from shared.layout import archive_key
from shared.messages import Message
from shared.settings import Settings

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient


class Publisher(Protocol):
    """Sends a message to one of the pipeline's queues, named by its consumer."""

    def send(self, queue: str, message: Message) -> None: ...


class SqsPublisher:
    """Sends to SQS and keeps a copy of every message in the archive, for replays.

    The copy is written once the message is sent, while the next stage takes it up (the copy is not
    on a hop's path, and does not compete with the send: the embedded emulator serves one request at
    a time); `send` returns once both are done and raises if either failed, so the stage's message is
    redelivered and its recorded outcome sent and archived again."""

    def __init__(self, queue_urls: dict[str, str], client: SQSClient | None = None,
                 archive: BlobStore | None = None) -> None:
        self.queue_urls = queue_urls
        self.sqs = client or aws.client("sqs")
        self.archive = archive

    def send(self, queue: str, message: Message) -> None:
        message = tracing.stamped(message)  # in a traced invocation, its trace header (shared/tracing.py)
        self.sqs.send_message(
            QueueUrl=self.queue_urls[queue],
            MessageBody=message.to_json(),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": message.payload.kind},
                "run_id": {"DataType": "String", "StringValue": message.envelope.run_id},
            },
            **tracing.system_attributes(message),
        )
        if self.archive is not None:
            key = archive_key(message.envelope.run_id, queue, message.envelope.message_id)
            self.archive.put(key, message.to_json().encode(), "application/json")


class MemoryPublisher:
    """A fake that records what was sent, for unit tests."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []

    def send(self, queue: str, message: Message) -> None:
        self.sent.append((queue, message))


def publisher_for(settings: Settings, *queues: str) -> SqsPublisher:
    """The publisher a service uses: the queues it sends to, archiving into the pipeline's bucket."""
    from shared.blobs import S3BlobStore

    urls = {queue: settings.queue_url(queue) for queue in queues}
    return SqsPublisher(urls, archive=S3BlobStore(settings.bucket_name))
