"""The Lambda runtime: an SQS event source mapping with `ReportBatchItemFailures`.

Each record is handled on its own; a failed one is reported in `batchItemFailures`, so only it
returns to the queue (and, after the max receive count, to the DLQ). Uses Powertools' batch
processor, the field's standard for this.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared import logs
from shared.runtime.dispatch import BodyHandler
from shared.settings import get_settings

LambdaHandler = Any


def lambda_handler(on_body: BodyHandler, service: str) -> LambdaHandler:
    logs.setup(service, get_settings().log_level)  # the same JSON lines as in the container
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        on_body(record.body, int(record.attributes.approximate_receive_count or 1))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return dict(process_partial_response(event=event, record_handler=record_handler,
                                             processor=processor, context=context))

    return handler
