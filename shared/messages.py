"""Message schemas of the pipeline: one envelope, versioned payloads, one discriminated union.

Every body on a queue is a `Message`: an `Envelope` (who sent it, for which run, when) apart from
a payload whose `kind` names the event and its version (`sources.extracted.v1`). A breaking change
is a new `...V2` class added to `Payload`; consumers accept both while it rolls out.
Large data never rides in a message: it lives in S3 and the payload carries the key and sha256.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Literal, TypedDict

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

from shared.sources import known
from shared.topology import Stage

__all__ = ["Stage"]  # and every model below
ENVELOPE_VERSION = 1


def new_id() -> str:
    return uuid.uuid4().hex


def new_run_id(now: datetime | None = None, suffix: str | None = None) -> str:
    """A run id that sorts by start time to the millisecond: `20261128T173400.123Z-1a2b3c4d`.

    Milliseconds, because two runs started in the same second must still sort in start order: the
    history lists runs by id, and the loader lets a later run's load supersede an earlier one's."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond // 1000:03d}Z-{suffix or uuid.uuid4().hex[:8]}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(_Model):
    """Metadata every message carries; `message_id` is the producer's id, the idempotency key."""

    message_id: str = Field(default_factory=new_id)
    run_id: str
    producer: str
    produced_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    schema_version: int = ENVELOPE_VERSION
    # The X-Ray trace header (`Root=...;Parent=...;Sampled=...`) of the traced invocation that sent the
    # message (`shared.tracing`). Optional: bodies without it parse; an untraced sender's body leaves it out.
    trace_header: str | None = None


SourceName = Annotated[str, AfterValidator(known)]  # a name declared in `shared.sources`


class SourceVersion(_Model):
    """One downloaded source as stored in S3 (a claim check) and what identifies its version."""

    name: SourceName
    url: str
    key: str
    sha256: str
    bytes: int
    changed: bool
    etag: str | None = None
    last_modified: str | None = None
    last_date: date | None = None


class ExtractRequestedV1(_Model):
    """Ask the extractor to fetch the sources (from the schedule, the CLI or a replay)."""

    kind: Literal["extract.requested.v1"] = "extract.requested.v1"
    trigger: Literal["schedule", "cli", "startup", "replay"] = "cli"
    force: bool = False


class _Sourced(_Model):
    """The sources a run read, and the warnings it gathered so far."""

    sources: list[SourceVersion]
    warnings: list[str] = []


class SourcesExtractedV1(_Sourced):
    """The required sources are in S3 and at least one source changed since the last load; an optional
    source that could not be fetched is left out, with a warning."""

    kind: Literal["sources.extracted.v1"] = "sources.extracted.v1"


class _Dataset(_Sourced):
    """A dataset's span of dates."""

    first_date: date | None
    last_date: date | None


class SourcesUnchangedV1(_Sourced):
    """No source changed since the last load: the run ends as `no_change`."""

    kind: Literal["sources.unchanged.v1"] = "sources.unchanged.v1"


class DatasetTransformedV1(_Dataset):
    """The joined, validated records are in S3 (JSON) under `key`."""

    kind: Literal["dataset.transformed.v1"] = "dataset.transformed.v1"
    key: str
    sha256: str
    rows: int
    join_policy: Literal["inner", "nyt"]


class LoadCounts(_Model):
    """What a load did to every region's rows (docs/regions.md); `regions`: how many regions the table holds."""

    inserted: int
    updated: int
    unchanged: int
    rows_total: int
    regions: int


class RegionCounts(_Model):
    """One region's new and changed rows in a load (the five with most changed rows are announced)."""

    region: str
    name: str
    inserted: int
    updated: int


class DatasetLoadedV1(_Dataset):
    """The table now holds the dataset; counts are exact.

    `inserted`, `updated`, `unchanged` and `rows_total` keep their v1 meaning: the default region `US`'s
    rows, so a v1 consumer reads the same numbers as before. `all` counts every region's rows, `regions`
    names the five with most changed rows, `loaded_at` is the load's instant (the rows' `loaded_at`).
    Additive and defaulted: v1 bodies without them parse."""

    kind: Literal["dataset.loaded.v1"] = "dataset.loaded.v1"
    inserted: int
    updated: int
    unchanged: int
    rows_total: int
    all: LoadCounts | None = None
    regions: list[RegionCounts] = []
    loaded_at: datetime | None = None


class DatasetSupersededV1(_Dataset):
    """The load wrote nothing: a run that started later (`by`) has loaded already; the run ends as
    `no_change`, the table keeping the newer data."""

    kind: Literal["dataset.superseded.v1"] = "dataset.superseded.v1"
    by: str


class StageFailedV1(_Model):
    """A stage gave up on the run; `reason` says what a person can do about it."""

    kind: Literal["stage.failed.v1"] = "stage.failed.v1"
    stage: Stage
    reason: str
    raw_keys: list[str] = []
    warnings: list[str] = []


Payload = Annotated[
    ExtractRequestedV1
    | SourcesExtractedV1
    | SourcesUnchangedV1
    | DatasetTransformedV1
    | DatasetLoadedV1
    | DatasetSupersededV1
    | StageFailedV1,
    Field(discriminator="kind"),
]


class Message(_Model):
    envelope: Envelope
    payload: Payload

    def to_json(self) -> str:
        # Without a trace header, the body is the one v1 wrote: a consumer deployed before the field parses it.
        untraced = self.envelope.trace_header is None
        return self.model_dump_json(exclude={"envelope": {"trace_header"}} if untraced else None)


_message_adapter = TypeAdapter(Message)


def parse_message(body: str | bytes) -> Message:
    """Parse any queue body into a `Message`; raises `ValueError` (pydantic's `ValidationError` is one).

    An EventBridge scheduled event (what the daily rule puts on the extractor's queue) becomes an
    `ExtractRequestedV1` whose run and message ids derive from the event's own id and time.
    """
    if b'"detail-type"' in (body.encode() if isinstance(body, str) else body):
        try:
            return _scheduled(json.loads(body))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a scheduled event: {error}") from error
    return _message_adapter.validate_json(body)


# EventBridge's scheduled event, the fields read (a JSON object whose shape is checked by reading it)
ScheduledEvent = TypedDict("ScheduledEvent", {"detail-type": str, "id": str, "time": str})


def _scheduled(event: ScheduledEvent) -> Message:
    if event.get("detail-type") != "Scheduled Event":
        raise ValueError(f"unexpected event {event.get('detail-type')!r}")
    when = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
    run_id = new_run_id(when, str(event["id"]).replace("-", "")[:8])
    envelope = Envelope(message_id=str(event["id"]), run_id=run_id, producer="schedule", produced_at=when)
    return Message(envelope=envelope, payload=ExtractRequestedV1(trigger="schedule"))


def make_message(payload: Payload, *, run_id: str, producer: str, message_id: str | None = None) -> Message:
    envelope = Envelope(run_id=run_id, producer=producer, **({"message_id": message_id} if message_id else {}))
    return Message(envelope=envelope, payload=payload)


_IDS = uuid.UUID("6f0c2b1e-1d2a-4c1e-9a51-7c0e7e2f3a10")


def derived_id(parent_message_id: str, stage: str, kind: str) -> str:
    """The id of the message a stage sends in answer to `parent_message_id`: the same every time,
    so a redelivered or replayed parent yields a duplicate the next stage recognises."""
    return uuid.uuid5(_IDS, f"{parent_message_id}:{stage}:{kind}").hex
