"""The runtimes around a declared service: partial batch failures, the give-up on the last delivery,
poison messages (unreadable, or of a kind the queue does not take), and the generic entries."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from support.fakes import FakeLedger

from shared.idempotency import ClaimedElsewhere
from shared.messages import ExtractRequestedV1, Message, SourcesUnchangedV1, make_message
from shared.queues import MemoryPublisher
from shared.runs import StageRecord
from shared.runtime.lambda_sqs import lambda_handler
from shared.runtime.service import Service, body_handler, load
from shared.settings import Settings, get_settings
from shared.stage import Outcome, StageDeps, run_stage
from shared.topology import EXTRACTOR, NOTIFIER, SERVICES, TRANSFORMER, ServiceSpec, Stage


class Letters:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, body: str, reason: str) -> None:
        self.sent.append((body, reason))


def record(message_id: str, body: str, receives: int = 1) -> dict[str, object]:
    return {"messageId": message_id, "receiptHandle": f"rh-{message_id}", "body": body,
            "attributes": {"ApproximateReceiveCount": str(receives), "SentTimestamp": "1600000000000",
                           "SenderId": "x", "ApproximateFirstReceiveTimestamp": "1600000000000"},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"}


def good_body(run_id: str = "r1") -> str:
    return make_message(ExtractRequestedV1(), run_id=run_id, producer="test").to_json()


@pytest.fixture
def deps(monkeypatch: pytest.MonkeyPatch) -> Iterator[StageDeps]:
    monkeypatch.setenv("COVID_ETL_MAX_RECEIVE_COUNT", "3")
    get_settings.cache_clear()
    yield StageDeps(ledger=FakeLedger(), publisher=MemoryPublisher())
    get_settings.cache_clear()


def ledger(deps: StageDeps) -> FakeLedger:
    assert isinstance(deps.ledger, FakeLedger)
    return deps.ledger


def sent(deps: StageDeps) -> list[tuple[str, Message]]:
    assert isinstance(deps.publisher, MemoryPublisher)
    return deps.publisher.sent


def declared(spec: ServiceSpec, deps: StageDeps, handle: Callable[[Message, StageDeps], None] | None = None,
             accepts: tuple[type, ...] = (ExtractRequestedV1,)) -> tuple[Service[StageDeps], Letters]:
    return Service(spec, accepts, handle or _fail, lambda s: deps), Letters()


def test_only_the_bad_record_is_reported_as_failed(deps: StageDeps) -> None:
    handled: list[str] = []

    def handle(message: Message, d: StageDeps) -> None:
        if message.envelope.run_id == "boom":
            raise RuntimeError("transient")
        handled.append(message.envelope.run_id)

    service, letters = declared(EXTRACTOR, deps, handle)
    handler = lambda_handler(service, body_handler(service, Settings(), letters))
    event = {"Records": [record("ok-1", good_body("r1")), record("bad-1", good_body("boom")),
                         record("poison-1", "{not json"), record("ok-2", good_body("r2"))]}
    result = handler(event, None)
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == ["bad-1"]  # poison is not retried
    assert handled == ["r1", "r2"] and letters.sent[0][0] == "{not json"


def test_an_unreadable_body_goes_to_the_dlq_at_once_with_one_error_line(deps: StageDeps,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    service, letters = declared(TRANSFORMER, deps)
    body_handler(service, Settings(), letters)("{not json", receive_count=1, message_id="m-1")
    [(body, reason)] = letters.sent
    assert body == "{not json" and reason.startswith("unreadable message body")
    [line] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert "queue transformer, message m-1" in line.getMessage() and "not retried" in line.getMessage()
    assert sent(deps) == [] and ledger(deps).items == {}


def test_a_message_of_the_wrong_kind_fails_its_run_and_is_announced(deps: StageDeps) -> None:
    service, letters = declared(TRANSFORMER, deps, accepts=(SourcesUnchangedV1,))
    body_handler(service, Settings(), letters)(good_body("r7"), message_id="m-2")
    [(_, reason)] = letters.sent
    assert "extract.requested.v1 message on the transformer queue" in reason
    run = ledger(deps).runs["r7"]
    assert (run["status"], run["stage"], run["error"]) == ("failed", "transform", reason)
    [(queue, announced)] = sent(deps)
    assert queue == "notifier" and announced.payload.kind == "stage.failed.v1"


class StoreDownOnce(FakeLedger):
    """The store fails the first time a stage record of status `status` is written."""

    def __init__(self, status: str = "failed") -> None:
        super().__init__()
        self.down, self.status = True, status

    def record_stage(self, run_id: str, stage: Stage, record: StageRecord) -> None:
        if record.status == self.status and self.down:
            self.down = False
            raise RuntimeError("the table is unreachable")
        super().record_stage(run_id, stage, record)


def test_a_poison_message_reaches_the_dlq_once_when_its_failure_could_not_be_recorded(deps: StageDeps) -> None:
    deps.ledger = StoreDownOnce()
    service, letters = declared(TRANSFORMER, deps, accepts=(SourcesUnchangedV1,))
    on_body, body = body_handler(service, Settings(), letters), good_body("r8")
    with pytest.raises(RuntimeError):
        on_body(body, receive_count=1, message_id="m-3")  # left on its queue: redelivered
    on_body(body, receive_count=2, message_id="m-3")
    assert len(letters.sent) == 1
    assert ledger(deps).runs["r8"]["status"] == "failed"


@pytest.mark.parametrize("spec", [EXTRACTOR, TRANSFORMER, NOTIFIER], ids=lambda s: s.name)
def test_a_stage_whose_start_could_not_be_recorded_releases_its_claim(deps: StageDeps, spec: ServiceSpec) -> None:
    deps.ledger = StoreDownOnce("running")
    handled: list[str] = []

    def handle(message: Message, d: StageDeps) -> None:
        def work() -> Outcome:
            handled.append(message.envelope.run_id)
            return Outcome(None)
        run_stage(spec, message, d, work)

    service, letters = declared(spec, deps, handle)
    on_body, body = body_handler(service, Settings(), letters), good_body("r10")
    with pytest.raises(RuntimeError):
        on_body(body, receive_count=1)
    on_body(body, receive_count=2)  # claimed again at once, not "claimed elsewhere"
    assert handled == ["r10"] and letters.sent == []  # the work runs once its start is recorded
    assert ledger(deps).runs["r10"]["stages"][spec.stage]["status"] == "succeeded"


def test_a_failure_before_the_last_delivery_is_only_retried(deps: StageDeps) -> None:
    service, letters = declared(TRANSFORMER, deps)
    with pytest.raises(RuntimeError):
        body_handler(service, None, letters)(good_body(), receive_count=2)
    assert sent(deps) == [] and ledger(deps).items == {} and letters.sent == []


def test_the_last_delivery_records_closes_and_announces_the_failure(deps: StageDeps) -> None:
    service, letters = declared(TRANSFORMER, deps)
    with pytest.raises(RuntimeError):
        body_handler(service, None, letters)(good_body(), receive_count=3)
    [(queue, message)] = sent(deps)
    assert queue == "notifier" and message.payload.kind == "stage.failed.v1"
    reason = message.payload.reason  # type: ignore[union-attr]
    assert "gave up after 3 attempts" in reason and "dead-letter" in reason
    run = ledger(deps).runs["r1"]
    assert run["stages"]["transform"]["status"] == "failed" and (run["status"], run["error"]) == ("gave_up", reason)


def test_a_last_delivery_claimed_by_another_worker_fails_no_run(deps: StageDeps) -> None:
    def held_elsewhere(message: Message, d: StageDeps) -> None:
        raise ClaimedElsewhere("transform#m-4")

    service, letters = declared(TRANSFORMER, deps, held_elsewhere)
    with pytest.raises(ClaimedElsewhere):  # the queue dead-letters this copy
        body_handler(service, None, letters)(good_body("r9"), receive_count=3)
    assert sent(deps) == [] and ledger(deps).items == {}  # the holder may still end the run


def test_the_notifier_giving_up_ends_no_run_and_sends_nothing(deps: StageDeps) -> None:
    service, letters = declared(NOTIFIER, deps)
    with pytest.raises(RuntimeError):
        body_handler(service, None, letters)(good_body(), receive_count=5)
    assert sent(deps) == []
    run = ledger(deps).runs["r1"]  # the run ended when the stage before it closed it
    assert run["status"] == "running" and run["stages"]["notify"]["status"] == "failed"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_service_is_declared_once_where_the_generic_entries_look(spec: ServiceSpec) -> None:
    service = load(spec.name)
    assert service.spec is spec and load(spec.stage) is service
    assert service.accepts and callable(service.handle) and callable(service.build)


def _fail(message: Message, deps: StageDeps) -> None:
    raise RuntimeError("the table is unreachable")
