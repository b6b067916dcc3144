"""Warming a container worker before its first poll: its AWS clients built and used once.

Building boto3's clients and resolving their endpoints on the first request took 0.3-1 s per
worker on a loaded machine; done on the first message, it lengthened each hop of the first run
after `covid-etl up` by that much. Each read here is harmless and its failure is ignored (a role
without that permission, an emulator still starting): the first message then pays as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from shared import aws
from shared.settings import get_settings

logger = logging.getLogger(__name__)


def warm(queue_url: str, wait_s: float = 5.0) -> None:
    """Warm the clients, waiting at most `wait_s`: an unreachable endpoint must not hold the worker
    back (it waits that out itself); the warming goes on in the background meanwhile."""
    thread = threading.Thread(target=warm_clients, args=(queue_url,), name="warm", daemon=True)
    thread.start()
    thread.join(wait_s)


def warm_clients(queue_url: str) -> None:
    settings = get_settings()
    meta = {"pk": "meta", "sk": "dataset"}
    reads: list[Callable[[], object]] = [
        lambda: aws.client("dynamodb").get_item(TableName=settings.table_name,
                                                Key={k: {"S": v} for k, v in meta.items()}),
        lambda: aws.client("s3").head_object(Bucket=settings.bucket_name, Key="warm-up"),
        lambda: aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"]),
    ]
    if settings.topic_arn:  # the notifier's
        reads.append(lambda: aws.client("sns").get_topic_attributes(TopicArn=settings.topic_arn))
    started = time.monotonic()
    for read in reads:
        try:
            read()
        except Exception:  # noqa: S110 (a 404 or AccessDenied still warms the client)
            pass
    logger.info("AWS clients warmed in %.0f ms", (time.monotonic() - started) * 1000)
