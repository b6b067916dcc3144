"""A run of the pipeline as types: `Run`, its `StageRecord`s, `RunStatus`, `RunEnd` (the daily row: `shared.daily`).

The `Runs` port stores them: `shared.ledger.RunLedger` in DynamoDB (the tests' in-memory fake,
`MemoryRuns`, is in `tests/support/fakes.py`, checked against the port by mypy). A run's status
moves only as `ENTERED_FROM` allows, and only through `shared.lifecycle.RunLifecycle` (the stage
runtime, the poison path, the restart path). The CLI and the API read runs only through the port,
and the API's response schemas are generated from these models.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict

from shared.messages import LoadCounts, RegionCounts, SourceVersion
from shared.topology import Stage

RunStatus = Literal["running", "succeeded", "no_change", "failed", "gave_up", "interrupted"]
GOOD: tuple[RunStatus, ...] = ("succeeded", "no_change")  # ended, the table as the run found or left it
FAILED: tuple[RunStatus, ...] = ("failed", "gave_up", "interrupted")  # ended without loading: a person may act
FINAL: tuple[RunStatus, ...] = (*GOOD, *FAILED)
StageStatus = Literal["running", "succeeded", "retrying", "failed"]
# The statuses from which a run may take each status (None: the run has no item yet). A run starts
# once and never goes back to running; an ended run may be ended again by a replay or a redelivery of
# the stage that ends it (its latest end is the run's), but a run that ended well is not given up on
# afterwards, and only a run in progress is interrupted (`shared.lifecycle` owns these moves).
ENTERED_FROM: dict[RunStatus, tuple[RunStatus | None, ...]] = {
    "running": (None,),
    "succeeded": (None, "running", *FINAL),
    "no_change": (None, "running", *FINAL),
    "failed": (None, "running", *FINAL),
    "gave_up": (None, "running", *FAILED),
    "interrupted": ("running",),
}


class IllegalTransition(Exception):
    """A run was asked to move to a status it may not take from its own."""

    def __init__(self, run_id: str, current: RunStatus | None, new: RunStatus) -> None:
        super().__init__(f"run {run_id} cannot go from {current or 'nothing'} to {new}")
        self.run_id, self.current, self.new = run_id, current, new


def check_transition(run_id: str, current: RunStatus | None, new: RunStatus) -> None:
    """`IllegalTransition` unless a run in status `current` may take status `new`."""
    if current not in ENTERED_FROM[new]:
        raise IllegalTransition(run_id, current, new)


class _Record(BaseModel):
    # items written by older versions may carry attributes these models no longer name
    model_config = ConfigDict(extra="ignore")


class StageRecord(_Record):
    """One stage of a run: its status and timing, and what it found (the fields it sets)."""

    status: StageStatus
    started_at: str | None = None
    finished_at: str | None = None
    duration_ms: int | None = None
    error: str | None = None
    sources: list[SourceVersion] | None = None
    rows: int | None = None
    warnings: list[str] | None = None
    inserted: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    rows_total: int | None = None
    superseded_by: str | None = None


class _Outcome(_Record):
    """What a run's end says: counts, the dataset's span, sources, warnings, or why it failed."""

    inserted: int | None = None
    updated: int | None = None
    unchanged: int | None = None
    rows_total: int | None = None
    first_date: date | None = None
    last_date: date | None = None
    sources: list[SourceVersion] = []
    warnings: list[str] = []
    error: str | None = None  # with `stage` and `raw_keys`: cleared when a replayed run succeeds
    stage: Stage | None = None
    raw_keys: list[str] | None = None
    # a load's instant, every region's counts and the five regions with most changed rows (docs/regions.md)
    loaded_at: str | None = None
    all: LoadCounts | None = None
    regions: list[RegionCounts] | None = None


class RunEnd(_Outcome):
    """How a run ended: what the stage runtime writes when it closes the run."""

    status: RunStatus
    finished_at: str


class Run(_Outcome):
    """One run: started by a trigger, recorded stage by stage, closed with a `RunEnd`'s fields."""

    run_id: str
    status: RunStatus = "running"
    trigger: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    stages: dict[Stage, StageRecord] = {}

    @property
    def ended(self) -> bool:
        return self.status in FINAL

    def as_json(self) -> dict[str, object]:
        """The run as the API and `covid-etl runs --json` show it: fields it does not have are left out."""
        return self.model_dump(mode="json", exclude_none=True)


class Runs(Protocol):
    """Where runs are kept."""

    def open(self, run_id: str, trigger: str, stage: Stage, record: StageRecord) -> None:
        """Set the record of the stage that opens the run, and create the run with `trigger` and the
        record's start unless it exists (a replay changes only the record): one write."""

    def record_stage(self, run_id: str, stage: Stage, record: StageRecord) -> None:
        """Set the record of one stage of the run."""

    def close(self, run_id: str, end: RunEnd, last: tuple[Stage, StageRecord] | None = None) -> None:
        """End the run: its final status, counts and finished_at (fields `end` leaves None are removed);
        `last`: the record of the stage that ends it, set in the same write. `IllegalTransition`, and
        nothing written, unless the run's status may move to `end.status` (`ENTERED_FROM`), checked
        by the write itself."""

    def get(self, run_id: str) -> Run | None: ...

    def recent(self, limit: int = 20) -> list[Run]:
        """The newest `limit` runs, newest first."""
