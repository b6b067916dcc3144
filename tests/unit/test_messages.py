"""Message schemas: round trips, the discriminated union, scheduled events, frozen contracts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pydantic
import pytest

from shared.messages import (
    DatasetLoadedV1,
    ExtractRequestedV1,
    Message,
    SourcesExtractedV1,
    SourceVersion,
    StageFailedV1,
    make_message,
    new_run_id,
    parse_message,
)

CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
V1 = sorted((CONTRACTS / "v1").glob("*.json"))
KINDS = ["extract.requested.v1", "sources.extracted.v1", "sources.unchanged.v1", "dataset.transformed.v1",
         "dataset.loaded.v1", "dataset.superseded.v1", "stage.failed.v1"]
SOURCE = SourceVersion(name="jhu", url="http://x/jhu.csv", key="raw/jhu/1.csv", sha256="1", bytes=3, changed=False)


def test_round_trip_keeps_every_field() -> None:
    message = make_message(SourcesExtractedV1(sources=[SOURCE]), run_id="r1", producer="extract")
    again = parse_message(message.to_json())
    assert again == message
    assert isinstance(again.payload, SourcesExtractedV1) and again.payload.sources[0].name == "jhu"


def test_union_picks_the_payload_class_by_kind() -> None:
    body = {"envelope": {"run_id": "r", "producer": "p"},
            "payload": {"kind": "stage.failed.v1", "stage": "load", "reason": "why"}}
    message = parse_message(json.dumps(body))
    assert type(message.payload) is StageFailedV1 and message.payload.stage == "load"
    assert message.envelope.schema_version == 1 and len(message.envelope.message_id) == 32


def test_bytes_bodies_parse_too() -> None:
    message = make_message(ExtractRequestedV1(force=True), run_id="r", producer="cli")
    assert parse_message(message.to_json().encode()).payload == ExtractRequestedV1(force=True)


@pytest.mark.parametrize("payload", [
    {"kind": "dataset.loaded.v9", "inserted": 1},
    {"kind": "dataset.loaded.v1", "inserted": 1},  # required fields missing
    {"kind": "stage.failed.v1", "stage": "deploy", "reason": "x"},  # not a stage
    {"kind": "extract.requested.v1", "surprise": True},  # unknown fields are refused
    {"inserted": 1},  # no kind
])
def test_bad_bodies_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_message(json.dumps({"envelope": {"run_id": "r", "producer": "p"}, "payload": payload}))


def test_not_json_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        parse_message("not json")


def test_messages_are_immutable() -> None:
    loaded = DatasetLoadedV1(inserted=1, updated=0, unchanged=0, rows_total=1, first_date=date(2020, 3, 1),
                             last_date=date(2020, 3, 1), sources=[])
    with pytest.raises(pydantic.ValidationError):
        loaded.inserted = 2  # type: ignore[misc]


def test_run_ids_sort_by_start_time() -> None:
    early = new_run_id(datetime(2020, 3, 1, 6, 0, tzinfo=UTC))
    late = new_run_id(datetime(2020, 3, 1, 6, 1, tzinfo=UTC))
    assert early.startswith("20200301T060000.000Z-") and early < late


def test_run_ids_started_in_the_same_second_sort_by_start_time() -> None:
    # two runs a few ms apart: a random suffix alone would order them by chance (it once did, in CI)
    for _ in range(50):
        early = new_run_id(datetime(2020, 3, 1, 6, 0, 0, 8_000, tzinfo=UTC))
        late = new_run_id(datetime(2020, 3, 1, 6, 0, 0, 9_000, tzinfo=UTC))
        assert early < late


def test_scheduled_event_becomes_an_extract_request() -> None:
    event = json.loads((CONTRACTS / "v1" / "scheduled-event.json").read_text())
    message = parse_message(json.dumps(event))
    assert message.payload == ExtractRequestedV1(trigger="schedule")
    assert message.envelope.producer == "schedule"
    assert message.envelope.message_id == event["id"]
    assert message.envelope.run_id == "20200814T060000.000Z-53dc4d37"
    assert message.envelope.produced_at == datetime(2020, 8, 14, 6, 0, tzinfo=UTC)


def test_same_scheduled_event_gives_the_same_ids() -> None:
    body = (CONTRACTS / "v1" / "scheduled-event.json").read_text()
    assert parse_message(body).envelope == parse_message(body).envelope


def test_other_eventbridge_events_are_refused() -> None:
    event = {"detail-type": "Object Created", "id": "x", "time": "2020-08-14T06:00:00Z", "detail": {}}
    with pytest.raises(ValueError, match="unexpected event 'Object Created'"):
        parse_message(json.dumps(event))


def test_there_is_one_contract_per_kind() -> None:
    kinds = sorted(json.loads(p.read_text())["payload"]["kind"] for p in V1 if p.name != "scheduled-event.json")
    assert kinds == sorted(KINDS)


@pytest.mark.parametrize("path", [p for p in V1 if p.name != "scheduled-event.json"], ids=lambda p: p.stem)
def test_contract_parses_with_the_current_schemas(path: Path) -> None:
    body = json.loads(path.read_text())
    message = parse_message(path.read_text())
    assert isinstance(message, Message)
    assert message.payload.kind == body["payload"]["kind"]
    assert message.envelope.run_id == body["envelope"]["run_id"]
    # nothing the producer wrote is lost or altered
    again = json.loads(message.to_json())
    assert again["payload"] == {**again["payload"], **body["payload"]}
    assert again["envelope"]["message_id"] == body["envelope"]["message_id"]


def test_a_broken_scheduled_event_is_a_value_error() -> None:
    for body in ('{"detail-type": "Scheduled Event"}', '{"detail-type": 1, "x": [}', '{"detail-type": "Other"}'):
        with pytest.raises(ValueError):
            parse_message(body)


def test_failure_ids_derive_from_the_reason() -> None:
    from shared.stage import next_message
    from shared.topology import EXTRACTOR

    parent = make_message(ExtractRequestedV1(), run_id="r1", producer="test")
    same = [next_message(EXTRACTOR, parent, StageFailedV1(stage="extract", reason="HTTP 404")) for _ in range(2)]
    other = next_message(EXTRACTOR, parent, StageFailedV1(stage="extract", reason="HTTP 500"))
    assert same[0].envelope.message_id == same[1].envelope.message_id != other.envelope.message_id


def test_a_loaded_event_with_every_region_parses_and_a_v1_one_gets_the_defaults() -> None:
    """The fields issue 18 added are additive: a v1 body parses without them, and the new body keeps them."""
    added = parse_message((CONTRACTS / "v1-additive" / "dataset.loaded.json").read_text()).payload
    assert isinstance(added, DatasetLoadedV1) and added.all and added.loaded_at
    assert (added.inserted, added.all.inserted, added.all.regions) == (1, 274, 284)  # v1's counts: the US series'
    assert [r.region for r in added.regions] == ["US", "FR"] and added.loaded_at.tzinfo is not None
    old = parse_message((CONTRACTS / "v1" / "dataset.loaded.json").read_text()).payload
    assert isinstance(old, DatasetLoadedV1) and (old.all, old.regions, old.loaded_at) == (None, [], None)
