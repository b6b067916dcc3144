"""S3BlobStore and SqsPublisher against the emulator, over HTTP."""

from __future__ import annotations

import json

from shared import aws
from shared.blobs import S3BlobStore
from shared.layout import archive_key
from shared.messages import DatasetTransformedV1, make_message, parse_message
from shared.queues import SqsPublisher


def test_blob_store_put_get_exists(provisioned: dict[str, str]) -> None:
    blobs = S3BlobStore(provisioned["COVID_ETL_BUCKET"])
    assert blobs.exists("raw/nyt/abc.csv") is False
    blobs.put("raw/nyt/abc.csv", b"date,cases,deaths\n", "text/csv")
    assert blobs.exists("raw/nyt/abc.csv") is True
    assert blobs.get("raw/nyt/abc.csv") == b"date,cases,deaths\n"
    head = aws.client("s3").head_object(Bucket=provisioned["COVID_ETL_BUCKET"], Key="raw/nyt/abc.csv")
    assert head["ContentType"] == "text/csv"


def test_blob_store_overwrites_and_keeps_binary_exactly(provisioned: dict[str, str]) -> None:
    blobs = S3BlobStore(provisioned["COVID_ETL_BUCKET"])
    data = bytes(range(256)) * 1000
    blobs.put("k", b"first")
    blobs.put("k", data)
    assert blobs.get("k") == data
    pieces = list(blobs.chunks("k"))  # streamed in 1 MiB pieces, the same bytes
    assert len(pieces) == 1 and b"".join(pieces) == data
    big = bytes(range(256)) * 9000  # 2.2 MiB
    blobs.put("big", big)
    pieces = list(blobs.chunks("big"))
    assert len(pieces) == 3 and b"".join(pieces) == big


def test_publisher_sends_body_and_attributes_and_archives(provisioned: dict[str, str]) -> None:
    url = provisioned["COVID_ETL_LOADER_QUEUE_URL"]
    archive = S3BlobStore(provisioned["COVID_ETL_BUCKET"])
    payload = DatasetTransformedV1(key="datasets/x.json", sha256="x", rows=3, first_date=None, last_date=None,
                                   join_policy="inner", sources=[])
    message = make_message(payload, run_id="run-1", producer="transform")
    SqsPublisher({"loader": url}, archive=archive).send("loader", message)

    got = aws.client("sqs").receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=2)
    [received] = got["Messages"]
    assert parse_message(received["Body"]) == message
    attributes = {k: v["StringValue"] for k, v in received["MessageAttributes"].items()}
    assert attributes == {"kind": "dataset.transformed.v1", "run_id": "run-1"}
    kept = archive.get(archive_key("run-1", "loader", message.envelope.message_id))
    assert json.loads(kept) == json.loads(message.to_json())


def test_publisher_sends_to_the_named_queue_only(provisioned: dict[str, str]) -> None:
    urls = {"loader": provisioned["COVID_ETL_LOADER_QUEUE_URL"],
            "notifier": provisioned["COVID_ETL_NOTIFIER_QUEUE_URL"]}
    payload = DatasetTransformedV1(key="k", sha256="s", rows=0, first_date=None, last_date=None,
                                   join_policy="nyt", sources=[])
    SqsPublisher(urls).send("notifier", make_message(payload, run_id="r", producer="p"))
    sqs = aws.client("sqs")
    assert "Messages" not in sqs.receive_message(QueueUrl=urls["loader"], WaitTimeSeconds=0)
    assert len(sqs.receive_message(QueueUrl=urls["notifier"], WaitTimeSeconds=1)["Messages"]) == 1
