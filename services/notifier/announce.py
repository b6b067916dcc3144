"""What a run's announcement carries: pure, from the final event to the status and fields of the body.
The words a person reads (subject, text, next step) are `services.notifier.letter`'s."""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.messages import DatasetLoadedV1, Message, SourcesUnchangedV1, StageFailedV1

Final = DatasetLoadedV1 | SourcesUnchangedV1 | StageFailedV1


def summary(message: Message) -> dict[str, Any]:
    """The run's outcome as the notification body and the ledger's final fields."""
    event: Any = message.payload
    run_id = message.envelope.run_id
    base = {"run_id": run_id, "warnings": list(event.warnings), "error": None}
    if isinstance(event, DatasetLoadedV1):
        return {**base, "status": "succeeded", "inserted": event.inserted, "updated": event.updated,
                "unchanged": event.unchanged, "rows_total": event.rows_total,
                "first_date": _iso(event.first_date), "last_date": _iso(event.last_date),
                "sources": [s.model_dump(mode="json") for s in event.sources]}
    if isinstance(event, SourcesUnchangedV1):
        return {**base, "status": "no_change", "inserted": 0, "updated": 0,
                "sources": [s.model_dump(mode="json") for s in event.sources]}
    assert isinstance(event, StageFailedV1)
    return {**base, "status": "failed", "stage": event.stage, "error": event.reason,
            "raw_keys": event.raw_keys, "inserted": 0, "updated": 0}


def stale_sources(sources: list[dict[str, Any]], today: date, after_days: int) -> list[str]:
    """A warning for each source whose latest date is more than `after_days` behind today."""
    warnings = []
    for source in sources:
        last = source.get("last_date")
        if not last:
            continue
        behind = (today - date.fromisoformat(str(last))).days
        if behind > after_days:
            warnings.append(f"{source['name']} is stale: its latest date is {last}, {behind} days ago "
                            f"(warning after {after_days} days)")
    return warnings


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
