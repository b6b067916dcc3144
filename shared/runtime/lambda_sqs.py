"""The Lambda runtime: an SQS event source mapping with `ReportBatchItemFailures`.

Each record is handled on its own; a failed one is reported in `batchItemFailures`, so only it
returns to the queue, visible again when its visibility timeout ends (and, after the max receive
count, in the DLQ). Uses Powertools' batch processor, the field's standard for this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from shared import logs, tracing
from shared.runtime.service import BodyHandler, D, Service, body_handler
from shared.settings import get_settings

LambdaEvent = Mapping[str, object]  # an SQS event


def lambda_handler(service: Service[D], on_body: BodyHandler | None = None
                   ) -> Callable[[LambdaEvent, object], PartialItemFailureResponse]:
    """The handler of `service`'s function (`on_body` replaces its body handler, for tests)."""
    logs.setup(service.spec.name, get_settings().log_level)  # the same JSON lines as in the container
    tracing.setup()
    processor = BatchProcessor(event_type=EventType.SQS)
    handle_body = on_body or body_handler(service)

    def record_handler(record: SQSRecord) -> None:
        handle_body(record.body, int(record.attributes.approximate_receive_count or 1), record.message_id)

    @tracing.lambda_handler
    def handler(event: LambdaEvent, context: object) -> PartialItemFailureResponse:
        response = process_partial_response(event=dict(event), record_handler=record_handler, processor=processor,
                                            context=context)  # type: ignore[arg-type]
        return PartialItemFailureResponse(**response)  # a dict of its own, as before

    return handler
