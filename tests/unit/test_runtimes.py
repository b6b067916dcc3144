"""The Lambda runtime's partial batch failures, and the give-up on the last delivery."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from support.fakes import FakeLedger

from shared.messages import ExtractRequestedV1, Message, make_message
from shared.queues import MemoryPublisher
from shared.runtime.dispatch import body_handler
from shared.runtime.lambda_sqs import lambda_handler
from shared.settings import get_settings


@dataclass
class Deps:
    ledger: FakeLedger
    publisher: MemoryPublisher


def record(message_id: str, body: str, receives: int = 1) -> dict[str, object]:
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body,
            "attributes": {"ApproximateReceiveCount": str(receives), "SentTimestamp": "1600000000000",
                           "SenderId": "x", "ApproximateFirstReceiveTimestamp": "1600000000000"},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}


def good_body(run_id: str = "r1") -> str:
    return make_message(ExtractRequestedV1(), run_id=run_id, producer="test").to_json()


@pytest.fixture
def deps(monkeypatch: pytest.MonkeyPatch) -> Deps:
    monkeypatch.setenv("COVID_ETL_MAX_RECEIVE_COUNT", "3")
    get_settings.cache_clear()
    yield Deps(FakeLedger(), MemoryPublisher())  # type: ignore[misc]
    get_settings.cache_clear()


def test_only_the_bad_record_is_reported_as_failed(deps: Deps) -> None:
    handled: list[str] = []

    def handle(message: Message, d: Deps) -> None:
        if message.envelope.run_id == "boom":
            raise RuntimeError("transient")
        handled.append(message.envelope.run_id)

    handler = lambda_handler(body_handler(handle, lambda: deps, "extract"), "extractor")
    event = {"Records": [record("ok-1", good_body("r1")), record("bad-1", good_body("boom")),
                         record("bad-2", "{not json"), record("ok-2", good_body("r2"))]}
    result = handler(event, None)
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == ["bad-1", "bad-2"]
    assert handled == ["r1", "r2"]


def test_a_batch_that_succeeds_reports_no_failures(deps: Deps) -> None:
    handler = lambda_handler(body_handler(lambda m, d: None, lambda: deps, "extract"), "extractor")
    assert handler({"Records": [record("ok", good_body())]}, None) == {"batchItemFailures": []}


def test_a_failure_before_the_last_delivery_is_only_retried(deps: Deps) -> None:
    on_body = body_handler(_fail, lambda: deps, "transform")
    with pytest.raises(RuntimeError):
        on_body(good_body(), receive_count=2)
    assert deps.publisher.sent == [] and deps.ledger.runs == {}


def test_the_last_delivery_records_and_announces_the_failure(deps: Deps) -> None:
    on_body = body_handler(_fail, lambda: deps, "transform")
    with pytest.raises(RuntimeError):
        on_body(good_body(), receive_count=3)
    [(queue, sent)] = deps.publisher.sent
    assert queue == "notifier" and sent.payload.kind == "stage.failed.v1"
    assert "gave up after 3 attempts" in sent.payload.reason and "dead-letter" in sent.payload.reason
    assert deps.ledger.runs["r1"]["stages"]["transform"]["status"] == "failed"


def test_the_notifier_giving_up_marks_the_run_failed_itself(deps: Deps) -> None:
    on_body = body_handler(_fail, lambda: deps, "notify")
    with pytest.raises(RuntimeError):
        on_body(good_body(), receive_count=5)
    assert deps.publisher.sent == []
    assert deps.ledger.runs["r1"]["status"] == "failed"


def _fail(message: Message, deps: Deps) -> None:
    raise RuntimeError("the table is unreachable")
