"""X-Ray tracing of the Lambda functions (Powertools' Tracer), and a run's trace context across its queues.

In Lambda, each invocation's segment is Lambda's own (active tracing) and takes no annotations; the
entries wrap each invocation in a subsegment (`lambda_handler`), and each message handled in another
one (`handling`) annotated with the run id, the stage and the message kind, so that the filter
`annotation.run_id = "..."` finds a run's traces. A message sent from within it carries that
subsegment's trace header (`Root=...;Parent=...;Sampled=...`) twice: in its envelope (`trace_header`,
kept in the archive and the DLQ, so a replay still points at the run's trace) and as SQS's
`AWSTraceHeader` system attribute, from which X-Ray links the next function's trace to this one
(docs/decisions.md). The X-Ray SDK's botocore patch records each AWS call as a subsegment.

Only the Lambda entries set tracing up (`setup`). In a container worker, the CLI or a test nothing
is set up, every function here is a no-op and the X-Ray SDK is never imported; in Lambda, Powertools
turns the tracer off by itself under SAM or Chalice, and with `POWERTOOLS_TRACE_DISABLED=true`.
Tracing never fails a message: a header that cannot be read is left out, with a debug line.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypedDict, TypeVar

from shared import logs
from shared.messages import Message

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer
    from types_boto3_sqs.type_defs import MessageSystemAttributeValueTypeDef

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
# AWS calls, and the sources' downloads (urllib): Powertools' default patches every module the X-Ray
# SDK knows, importing each that is installed at the cold start.
PATCHED = ("botocore", "httplib")
# What SQS accepts as AWSTraceHeader: an X-Ray header, its root first (1-<8 hex time>-<24 hex>).
HEADER = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}(;[A-Za-z]+=[^;=\s]+)*")
# The X-Ray SDK's no-op ids: an invocation sampled out records nothing that a later trace could link to.
NO_TRACE, NO_PARENT = "Root=1-00000000-000000000000000000000000", "Parent=0000000000000000"
_tracer: Tracer | None = None


def setup(tracer: Tracer | None = None) -> Tracer | None:
    """Trace this process's invocations (a Lambda entry calls it at the cold start): Powertools' Tracer,
    its service from `POWERTOOLS_SERVICE_NAME`, on unless Powertools finds it must be off. Outside Lambda,
    none: Powertools would build one only to turn it off, importing the X-Ray SDK (whose recorder opens
    a UDP socket at import) for nothing."""
    global _tracer
    if tracer is None and os.environ.get("LAMBDA_TASK_ROOT"):
        from aws_lambda_powertools import Tracer

        tracer = Tracer(patch_modules=PATCHED)
    _tracer = tracer
    return tracer


def reset() -> None:
    """Back to no tracing (for tests)."""
    global _tracer
    _tracer = None


def active() -> Tracer | None:
    """The tracer, when this process traces."""
    return _tracer if _tracer is not None and not _tracer.disabled else None


def lambda_handler(handler: Callable[P, R]) -> Callable[P, R]:
    """`handler` with each invocation in a subsegment `## handler` (errors recorded on it by the X-Ray
    SDK). Its response is not recorded: an API body can pass a segment document's 64 KB."""

    @functools.wraps(handler)
    def traced(*args: P.args, **kwargs: P.kwargs) -> R:
        tracer = active()
        if tracer is None:
            return handler(*args, **kwargs)
        with tracer.provider.in_subsegment("## handler") as subsegment:
            if subsegment is not None and tracer.service:
                subsegment.put_annotation("service", tracer.service)
            return handler(*args, **kwargs)

    return traced


@contextlib.contextmanager
def handling(stage: str, message: Message) -> Iterator[None]:
    """Trace the handling of `message` by `stage`: a subsegment annotated with the run id, the stage and
    the kind, the sender's trace header as metadata, and the trace id bound to every log line."""
    tracer = active()
    if tracer is None:
        yield
        return
    envelope = message.envelope
    with tracer.provider.in_subsegment(f"## {stage}") as subsegment:
        if subsegment is None:  # the X-Ray SDK found no segment (and said so)
            yield
            return
        for key, value in (("run_id", envelope.run_id), ("stage", stage), ("kind", message.payload.kind)):
            subsegment.put_annotation(key, value)
        subsegment.put_metadata("message_id", envelope.message_id, "covid-etl")
        if envelope.trace_header:
            subsegment.put_metadata("sender_trace_header", envelope.trace_header, "covid-etl")
        with logs.bound(xray_trace_id=str(getattr(subsegment, "trace_id", ""))):
            yield


def current_header() -> str | None:
    """The X-Amzn-Trace-Id header of the current (sub)segment, built as the X-Ray SDK builds it for an
    outgoing AWS call; None when this process does not trace, or the invocation is not sampled."""
    tracer = active()
    if tracer is None:
        return None
    try:
        from aws_xray_sdk.ext.util import inject_trace_header

        recorder: Any = tracer.provider  # the X-Ray SDK's recorder (Powertools' port has no such method)
        headers: dict[str, str] = {}
        inject_trace_header(headers, recorder.get_trace_entity())
        header = headers.get("X-Amzn-Trace-Id")
    except Exception as error:  # noqa: BLE001 (tracing must not fail the message)
        logger.debug("no trace header: %s", error)
        return None
    if not is_header(header) or NO_TRACE in (header or "") or NO_PARENT in (header or ""):
        return None
    return header


def is_header(value: str | None) -> bool:
    return bool(value) and HEADER.fullmatch(value or "") is not None


def stamped(message: Message) -> Message:
    """`message` carrying the current trace header in its envelope (what it carried, outside a trace)."""
    header = current_header()
    if header is None or header == message.envelope.trace_header:
        return message
    return message.model_copy(update={"envelope": message.envelope.model_copy(update={"trace_header": header})})


class SystemAttributes(TypedDict, total=False):
    MessageSystemAttributes: dict[Literal["AWSTraceHeader"], MessageSystemAttributeValueTypeDef]


def system_attributes(message: Message) -> SystemAttributes:
    """SendMessage's `MessageSystemAttributes` for `message`'s trace header (X-Ray's SQS propagation),
    as keyword arguments: none without a well-formed header (SQS refuses a malformed one)."""
    header = message.envelope.trace_header
    if header is None or not is_header(header):
        return {}
    return {"MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": header}}}
