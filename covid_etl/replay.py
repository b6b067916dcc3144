"""`covid-etl replay`: dead letters back to their queue, or a run's archived message re-sent.

`--dlq STAGE` uses SQS `StartMessageMoveTask` where the endpoint supports it (AWS, LocalStack)
and otherwise receives, sends, then deletes: a message is never deleted before its copy was sent.
`--run RUN_ID --from STAGE` re-sends the message archived for that stage of that run. Both are safe
to repeat: stages are idempotent on the message id, so a replayed message that was handled
already changes nothing.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from shared import aws
from shared.blobs import S3BlobStore
from shared.layout import archive_prefix
from shared.settings import Settings
from shared.topology import service

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import MessageTypeDef, SendMessageRequestTypeDef


def queue_name(stage: str) -> str:
    """The queue of a stage, given as `load` or as `loader`."""
    try:
        return service(stage).name
    except ValueError as error:
        raise SystemExit(str(error)) from None


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def replay_dlq(settings: Settings, stage: str, dry_run: bool) -> dict[str, object]:
    sqs, queue = aws.client("sqs"), queue_name(stage)
    source_url = settings.queue_url(queue)
    dlq_name = settings.resources.dlq(queue)
    dlq_url = sqs.get_queue_url(QueueName=dlq_name)["QueueUrl"]
    waiting = int(sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
                  ["Attributes"]["ApproximateNumberOfMessages"])
    say(f"{waiting} message(s) in {dlq_name}")
    if dry_run:
        listed = peek(sqs, dlq_url)
        for m in listed:
            say(f"  would move {m['MessageId']}: {describe(m['Body'])}")
        return {"stage": stage, "dry_run": True, "messages": len(listed), "moved": 0}
    if waiting == 0:
        return {"stage": stage, "dry_run": False, "messages": 0, "moved": 0}
    moved = move_task(sqs, dlq_url, source_url)
    method = "StartMessageMoveTask"
    if moved is None:
        method, moved = "receive-send-delete", move_by_hand(sqs, dlq_url, source_url)
    say(f"moved {moved} message(s) back to {queue} ({method})")
    return {"stage": stage, "dry_run": False, "messages": waiting, "moved": moved, "method": method}


def move_task(sqs: SQSClient, dlq_url: str, source_url: str) -> int | None:
    """Move with SQS's own task; None where the endpoint does not have it (moto)."""
    arn = lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]  # noqa: E731
    dlq_arn = arn(dlq_url)
    # one attempt: an endpoint without the task answers HTTP 500, which the default retries would
    # repeat with backoff for some 40 s before falling back
    once = boto3.session.Session().client("sqs", region_name=aws.region(), config=aws.client_config().merge(
        Config(retries={"max_attempts": 1, "mode": "standard"})))
    try:
        once.start_message_move_task(SourceArn=dlq_arn, DestinationArn=arn(source_url))
    except Exception as error:  # moto answers HTTP 500; some endpoints UnsupportedOperation
        say(f"StartMessageMoveTask not available here ({type(error).__name__}); moving message by message")
        return None
    while True:
        tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1).get("Results", [])
        task = tasks[0] if tasks else {}
        say(f"  {task.get('Status', '?')}: {task.get('ApproximateNumberOfMessagesMoved', 0)} moved")
        if task.get("Status") in ("COMPLETED", "FAILED", "CANCELLED"):
            if task["Status"] != "COMPLETED":
                raise SystemExit(f"move task {task['Status']}: {task.get('FailureReason', '')}")
            return int(task.get("ApproximateNumberOfMessagesMoved", 0))
        time.sleep(1)


def move_by_hand(sqs: SQSClient, dlq_url: str, source_url: str) -> int:
    moved = 0
    while True:
        batch = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    VisibilityTimeout=60, MessageAttributeNames=["All"]).get("Messages", [])
        if not batch:
            return moved
        for m in batch:
            copy: SendMessageRequestTypeDef = {"QueueUrl": source_url, "MessageBody": m["Body"]}
            if attributes := m.get("MessageAttributes"):
                copy["MessageAttributes"] = attributes
            sqs.send_message(**copy)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=m["ReceiptHandle"])  # only after the send
            moved += 1
            say(f"  moved {m['MessageId']}: {describe(m['Body'])}")


def peek(sqs: SQSClient, url: str) -> list[MessageTypeDef]:
    """List messages without consuming them (visibility 0: they stay available)."""
    seen: dict[str, MessageTypeDef] = {}
    for _ in range(10):
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                    VisibilityTimeout=0).get("Messages", [])
        new = [m for m in batch if m["MessageId"] not in seen]
        if not new:
            break
        seen.update({m["MessageId"]: m for m in new})
    return list(seen.values())


def describe(body: str) -> str:
    try:
        message = json.loads(body)
        return f"{message['payload']['kind']} of run {message['envelope']['run_id']}"
    except (ValueError, KeyError, TypeError):
        return "unparseable body"


def replay_run(settings: Settings, run_id: str, stage: str, dry_run: bool) -> dict[str, object]:
    queue = queue_name(stage)
    s3 = aws.client("s3")
    prefix = archive_prefix(run_id, queue)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=settings.bucket_name, Prefix=prefix).get("Contents", [])]
    if not keys:
        raise SystemExit(f"no archived message for run {run_id} at stage {stage} (s3://{settings.bucket_name}/{prefix})")
    blobs, sqs = S3BlobStore(settings.bucket_name), aws.client("sqs")
    for key in keys:
        body = blobs.get(key).decode()
        say(f"{'would re-send' if dry_run else 're-sending'} {key}: {describe(body)}")
        if not dry_run:
            sqs.send_message(QueueUrl=settings.queue_url(queue), MessageBody=body)
    return {"run_id": run_id, "stage": stage, "dry_run": dry_run, "messages": len(keys),
            "sent": 0 if dry_run else len(keys)}
