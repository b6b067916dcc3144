"""Tracing: a message sent in a traced invocation carries its trace header (envelope and AWSTraceHeader),
the handler's subsegment carries the run's annotations, and nothing changes where nothing traces.

The traced invocation is the X-Ray SDK's own Lambda context (the segment read from `_X_AMZN_TRACE_ID`,
as Lambda sets it) with Powertools' Tracer over a recorder whose emitter is a fake: nothing is sent.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import aws_xray_sdk.core  # noqa: F401 (its global recorder makes a UDP socket, never used: at collection, not in a test)
import pytest
from aws_lambda_powertools import Tracer
from aws_xray_sdk import global_sdk_config
from aws_xray_sdk.core import recorder as xray_recorder_module
from aws_xray_sdk.core.lambda_launcher import LambdaContext
from aws_xray_sdk.core.models.trace_header import TraceHeader
from pydantic import BaseModel, ConfigDict

from shared import logs, tracing
from shared.blobs import MemoryBlobStore
from shared.messages import ExtractRequestedV1, Message, SourcesExtractedV1, make_message, parse_message
from shared.queues import SqsPublisher
from shared.runtime.lambda_sqs import lambda_handler
from shared.runtime.service import Service, body_handler
from shared.settings import Settings
from shared.stage import StageDeps
from shared.topology import EXTRACTOR
from tests.support.fakes import FakeLedger

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
INVOCATION = f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"  # what Lambda sets in _X_AMZN_TRACE_ID
SENDER = "Root=1-67891233-abcdef012345678912345678;Parent=1234abcd1234abcd;Sampled=1"
CONTRACTS = Path(__file__).resolve().parents[1] / "contracts" / "v1"


class FakeSqs:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"MessageId": str(len(self.calls))}


class FakeDeadLetters:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, body: str, reason: str) -> None:
        self.sent.append(body)


class FakeEmitter:
    """Takes the X-Ray SDK's finished (sub)segments instead of sending them to a daemon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.entities: list[Any] = []

    def send_entity(self, entity: Any) -> None:
        self.entities.append(entity)

    def set_daemon_address(self, address: Any) -> None:
        pass


def emitted(emitter: FakeEmitter) -> dict[str, dict[str, Any]]:
    """Every subsegment the emitter took (and those nested in them), by name, as X-Ray gets them."""
    found: dict[str, dict[str, Any]] = {}

    def walk(doc: dict[str, Any]) -> None:
        found[doc["name"]] = doc
        for child in doc.get("subsegments", []):
            walk(child)

    for entity in emitter.entities:
        walk(json.loads(entity.serialize()))
    return found


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEmitter]:
    """A Lambda invocation with active tracing: the tracer set up as the Lambda entry sets it up."""
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", INVOCATION)
    monkeypatch.delenv("POWERTOOLS_TRACE_DISABLED", raising=False)
    monkeypatch.setattr(xray_recorder_module, "UDPEmitter", FakeEmitter)
    Tracer._reset_config()
    global_sdk_config.set_sdk_enabled(True)
    recorder = xray_recorder_module.AWSXRayRecorder()
    recorder.configure(context=LambdaContext(), sampling=False, streaming_threshold=0)
    tracer = Tracer(service="covid-etl-extractor", provider=recorder, auto_patch=False, disabled=False)
    tracing.setup(tracer)
    monkeypatch.setattr(tracing, "setup", lambda *_: tracer)  # the entry's own call finds it set up
    assert not tracer.disabled
    yield recorder.emitter
    tracing.reset()
    Tracer._reset_config()
    global_sdk_config.set_sdk_enabled(True)


@pytest.fixture
def untraced() -> Iterator[None]:
    tracing.reset()
    yield
    tracing.reset()
    Tracer._reset_config()
    global_sdk_config.set_sdk_enabled(True)


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": f"rh{i}", "body": body,
                         "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                         "md5OfBody": "", "eventSource": "aws:sqs", "awsRegion": "us-east-1",
                         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q"} for i, body in enumerate(bodies)]}


def extractor(sqs: FakeSqs, archive: MemoryBlobStore | None = None,
              seen: list[dict[str, str]] | None = None) -> Any:
    """The extractor's Lambda handler, whose work sends one message to the transformer."""
    publisher = SqsPublisher({"transformer": "q-transformer"}, cast("SQSClient", sqs), archive)
    deps = StageDeps(ledger=FakeLedger(), publisher=publisher)

    def handle(message: Message, d: StageDeps) -> None:
        if seen is not None:
            seen.append(dict(logs._context.get() or {}))
        d.publisher.send("transformer", make_message(SourcesExtractedV1(sources=[]), run_id=message.envelope.run_id,
                                                     producer="extract"))

    service = Service(EXTRACTOR, (ExtractRequestedV1,), handle, lambda s: deps)
    return lambda_handler(service, body_handler(service, Settings(), FakeDeadLetters()))


def request(run_id: str = "20261205T100000.000Z-abcd1234", header: str | None = None) -> str:
    message = make_message(ExtractRequestedV1(), run_id=run_id, producer="cli")
    if header:
        message = message.model_copy(update={"envelope": message.envelope.model_copy(update={"trace_header": header})})
    return message.to_json()


def test_a_message_sent_in_a_traced_invocation_carries_its_trace_header(traced: FakeEmitter) -> None:
    sqs, archive = FakeSqs(), MemoryBlobStore()
    result = extractor(sqs, archive)(sqs_event(request()), None)
    assert result == {"batchItemFailures": []}
    [call] = sqs.calls
    attribute = call["MessageSystemAttributes"]["AWSTraceHeader"]
    sent = parse_message(call["MessageBody"])
    assert attribute == {"DataType": "String", "StringValue": sent.envelope.trace_header}
    header = TraceHeader.from_header_str(attribute["StringValue"])
    handling = emitted(traced)["## extract"]
    # the invocation's trace, the handler's subsegment as the parent, sampled as the invocation is
    assert (header.root, header.parent, header.sampled) == (ROOT, handling["id"], 1)
    [copy] = archive.objects.values()  # the archived copy (replays) carries it too
    assert parse_message(copy).envelope.trace_header == sent.envelope.trace_header


def test_the_handling_subsegment_is_annotated_with_the_run(traced: FakeEmitter) -> None:
    seen: list[dict[str, str]] = []
    extractor(FakeSqs(), seen=seen)(sqs_event(request("run-1", header=SENDER)), None)
    subsegments = emitted(traced)
    handling, invocation = subsegments["## extract"], subsegments["## handler"]
    assert handling["annotations"] == {"run_id": "run-1", "stage": "extract", "kind": "extract.requested.v1"}
    assert handling["trace_id"] == ROOT and handling["parent_id"] == invocation["id"]
    # the sender's context is kept on the subsegment, and the trace id on every log line
    assert handling["metadata"]["covid-etl"]["sender_trace_header"] == SENDER
    assert seen[0]["xray_trace_id"] == ROOT and seen[0]["run_id"] == "run-1"
    assert invocation["annotations"] == {"service": "covid-etl-extractor"}
    assert "## POST" not in subsegments  # no HTTP: the fake client sends nothing


def test_each_message_of_a_batch_has_its_own_subsegment(traced: FakeEmitter) -> None:
    sqs = FakeSqs()
    extractor(sqs)(sqs_event(request("run-1"), request("run-2")), None)
    runs = [e for e in traced.entities if e.name == "## extract"]
    assert sorted(e.annotations["run_id"] for e in runs) == ["run-1", "run-2"]
    parents = [TraceHeader.from_header_str(c["MessageSystemAttributes"]["AWSTraceHeader"]["StringValue"]).parent
               for c in sqs.calls]
    assert sorted(parents) == sorted(e.id for e in runs)


def test_the_api_function_traces_each_request(traced: FakeEmitter) -> None:
    from flask import Flask

    from services.api.lambda_function import handler

    app = Flask("api")
    app.add_url_rule("/api/v1/health", "health", lambda: {"ok": True})
    event = {"version": "2.0", "rawPath": "/api/v1/health", "rawQueryString": "",
             "requestContext": {"http": {"method": "GET", "sourceIp": "1.2.3.4"}}, "headers": {}}
    assert handler(event, None, app)["statusCode"] == 200
    request_ = emitted(traced)["## handler"]
    assert request_["trace_id"] == ROOT and request_["annotations"] == {"service": "covid-etl-extractor"}
    assert "metadata" not in request_  # the response is not recorded (a body can pass 64 KB)


def test_an_invocation_sampled_out_sends_no_header(traced: FakeEmitter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0")
    sqs = FakeSqs()
    assert extractor(sqs)(sqs_event(request()), None) == {"batchItemFailures": []}
    assert "MessageSystemAttributes" not in sqs.calls[0] and not traced.entities  # nothing recorded to link to


def test_outside_a_trace_a_message_is_sent_as_before(untraced: None) -> None:
    assert tracing.setup() is None and tracing.active() is None  # no LAMBDA_TASK_ROOT: no tracer at all
    sqs = FakeSqs()
    assert extractor(sqs)(sqs_event(request(header=SENDER)), None) == {"batchItemFailures": []}
    [call] = sqs.calls
    assert "MessageSystemAttributes" not in call
    assert "trace_header" not in json.loads(call["MessageBody"])["envelope"]


def test_the_lambda_entry_works_with_tracing_disabled(untraced: None, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", INVOCATION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    sqs = FakeSqs()
    with caplog.at_level(logging.DEBUG, logger="aws_xray_sdk"):
        handler = extractor(sqs)  # the real Tracer, built by the entry, and off
        tracer = tracing._tracer
        assert tracer is not None and tracer.disabled and tracing.active() is None
        assert handler(sqs_event(request(), "{not json"), None) == {"batchItemFailures": []}
    assert len(sqs.calls) == 1 and "MessageSystemAttributes" not in sqs.calls[0]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("aws_xray_sdk")]


def test_a_malformed_header_is_not_sent_as_a_system_attribute() -> None:
    message = parse_message(request(header="Root=not-a-trace"))
    assert message.envelope.trace_header == "Root=not-a-trace"  # parsed: a body is never refused for it
    assert tracing.system_attributes(message) == {}
    assert tracing.system_attributes(parse_message(request(header=SENDER))) == {
        "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": SENDER}}}


class _EnvelopeV1Before(BaseModel):
    """The envelope as consumers deployed before the trace header read it."""

    model_config = ConfigDict(extra="forbid")
    message_id: str
    run_id: str
    producer: str
    produced_at: str
    schema_version: int


@pytest.mark.parametrize("path", sorted(p for p in CONTRACTS.glob("*.json") if p.name != "scheduled-event.json"),
                         ids=lambda p: p.stem)
def test_contracts_without_a_header_parse_and_stay_as_written(path: Path) -> None:
    message = parse_message(path.read_text())
    assert message.envelope.trace_header is None
    envelope = json.loads(message.to_json())["envelope"]
    assert envelope == json.loads(path.read_text())["envelope"] | {"produced_at": envelope["produced_at"]}
    _EnvelopeV1Before(**envelope)  # an untraced body: a consumer deployed before the field reads it


def test_a_header_survives_the_round_trip() -> None:
    message = parse_message(request(header=SENDER))
    assert parse_message(message.to_json()) == message and message.envelope.trace_header == SENDER
