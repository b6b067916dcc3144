"""A run's end, decided in one place: from the event that ends it to the `RunEnd` the runtime writes.

Four events end a run: `DatasetLoadedV1` (succeeded), `SourcesUnchangedV1` and `DatasetSupersededV1`
(no_change: the table is as the run found it) and `StageFailedV1` (failed). Pure: the table's current
version and the date come in as arguments. (A run given up on or interrupted is ended by
`shared.lifecycle`, with no event of its own.)
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypeGuard

from shared.messages import (
    DatasetLoadedV1,
    DatasetSupersededV1,
    Payload,
    SourcesUnchangedV1,
    SourceVersion,
    StageFailedV1,
)
from shared.runs import RunEnd

if TYPE_CHECKING:  # (the ledger's adapter imports boto3; this module stays pure)
    from shared.ledger import DatasetVersion

Terminal = DatasetLoadedV1 | SourcesUnchangedV1 | DatasetSupersededV1 | StageFailedV1


def is_terminal(payload: Payload | None) -> TypeGuard[Terminal]:
    return isinstance(payload, DatasetLoadedV1 | SourcesUnchangedV1 | DatasetSupersededV1 | StageFailedV1)


def run_end(event: Terminal, table: DatasetVersion | None, *, finished_at: str, today: date,
            stale_after_days: int) -> RunEnd:
    """How the run ended; `table` is the dataset version as it stands (for a run that wrote nothing)."""
    sources = event.sources if not isinstance(event, StageFailedV1) else []
    warnings = [*event.warnings, *stale_sources(sources, today, stale_after_days)]
    if isinstance(event, DatasetLoadedV1):
        return RunEnd(status="succeeded", finished_at=finished_at, inserted=event.inserted, updated=event.updated,
                      unchanged=event.unchanged, rows_total=event.rows_total, first_date=event.first_date,
                      last_date=event.last_date, sources=sources, warnings=warnings,
                      loaded_at=event.loaded_at.isoformat(timespec="milliseconds") if event.loaded_at else None,
                      all=event.all, regions=event.regions or None)
    total, first, last = (table["rows_total"], table.get("first_date"), table.get("last_date")) if table else (
        0, None, None)
    as_it_stands = {"inserted": 0, "updated": 0, "rows_total": total, "unchanged": total, "first_date": first,
                    "last_date": last}
    if isinstance(event, SourcesUnchangedV1 | DatasetSupersededV1):
        return RunEnd(status="no_change", finished_at=finished_at, sources=sources, warnings=warnings,
                      **as_it_stands)
    return RunEnd(status="failed", finished_at=finished_at, error=event.reason, stage=event.stage,
                  raw_keys=event.raw_keys, warnings=warnings, **as_it_stands)


def stale_sources(sources: list[SourceVersion], today: date, after_days: int) -> list[str]:
    """A warning for each source whose latest date is more than `after_days` behind today."""
    warnings = []
    for source in sources:
        if source.last_date is None:
            continue
        behind = (today - source.last_date).days
        if behind > after_days:
            warnings.append(f"{source.name} is stale: its latest date is {source.last_date}, {behind} days ago "
                            f"(warning after {after_days} days)")
    return warnings
