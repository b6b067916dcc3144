"""The run ledger, the sources' last loaded versions and the dataset version, in the one table.

Single-table layout (partition key `pk`, sort key `sk`, both strings):

| pk          | sk            | what                                                   |
|-------------|---------------|--------------------------------------------------------|
| `series#<id>`| `2020-01-21`  | a region's day, its runs; `revision#<id>`: superseded values (docs/regions.md) |
| `run`       | run id        | one run: status, stage_<name> maps, counts, sources    |
| `source`    | `nyt`, `jhu`  | the version of each source last loaded (`LoadedSource`)|
| `meta`      | `dataset`     | the data version (`DatasetVersion`): last load, totals |
| `meta`      | `regions`, `loading` | the region catalogue; an unfinished load's marker |
| `load`      | run id        | one committed load: its instant, sources, counts        |
| `idem`      | stage#msg id  | idempotency claims (`shared.idempotency`)              |
| `lock`      | `load`        | the lease and fencing token that keep loads apart      |

Run ids sort by start time, so `Query pk=run` newest first lists the history without a Scan.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, NotRequired, Protocol, TypedDict, cast

from shared.clock import SYSTEM, Clock, now_iso
from shared.dynamo import ConditionFailed, Table
from shared.idempotency import Claim, Claims, taken_over
from shared.layout import META_PK, RUN_PK, SERIES_PK, SOURCE_PK
from shared.lock import Fence, hold
from shared.runs import ENTERED_FROM, FINAL, IllegalTransition, Run, RunEnd, Runs, StageRecord
from shared.topology import Stage

__all__ = ["FINAL", "META_PK", "RUN_PK", "SERIES_PK", "SOURCE_PK", "DatasetVersion", "LoadCounts",
           "LoadedSource", "Ledger", "RunLedger", "now_iso"]


class LoadCounts(TypedDict):
    """What a load did: rows inserted, updated, left unchanged, and the dates kept that the sources dropped."""

    inserted: int
    updated: int
    unchanged: int
    kept: list[str]


class DatasetVersion(TypedDict):
    """The `meta/dataset` item: the run whose load the table holds (`version`), its span and counts."""

    version: str
    rows_total: int
    first_date: str | None
    last_date: str | None
    counts: NotRequired[LoadCounts]  # (items from before the counts were kept)
    loaded_at: NotRequired[str]  # the load's instant (docs/regions.md), on every row it wrote
    image: NotRequired[str]  # the key of the table image this load left (the next load's diff base)
    all: NotRequired[dict[str, int]]  # every region's counts (`shared.messages.LoadCounts`)
    regions: NotRequired[list[dict[str, object]]]  # the five regions with most changed rows
    warnings: NotRequired[list[str]]  # the load's own warnings (a redelivery reports them again)


class LoadedSource(TypedDict):
    """A `source/<name>` item: the `shared.messages.SourceVersion` last loaded (as JSON), and when."""

    name: str
    url: str
    key: str
    sha256: str
    bytes: int
    changed: bool
    etag: NotRequired[str]  # absent: null
    last_modified: NotRequired[str]
    last_date: NotRequired[str]
    loaded_at: str


class ClaimStore(Protocol):
    """Idempotency claims (`shared.idempotency.Claims`)."""

    def claim(self, stage: str, message_id: str) -> Claim: ...

    def kept(self, claim: Claim) -> contextlib.AbstractContextManager[None]: ...

    def complete(self, claim: Claim, outcome: dict[str, Any]) -> None: ...

    def release(self, claim: Claim) -> None: ...


class Ledger(Runs, Protocol):
    """What a stage reads and writes besides its own data: runs, claims, the load lock, loaded versions."""

    @property
    def claims(self) -> ClaimStore: ...

    def lock(self, name: str, owner: str, wait_s: float = 300) -> contextlib.AbstractContextManager[Fence]: ...

    def source_versions(self) -> dict[str, LoadedSource]:
        """The loaded version of each source."""

    def dataset_version(self) -> DatasetVersion | None:
        """The data version the table holds, or None before the first load."""

    def finish(self, run_id: str, stage: Stage, record: StageRecord | None, claim: Claim,
               outcome: dict[str, Any]) -> None:
        """A stage is done: its record (None: written already, with the run's end) and its claim's
        completion with `outcome`, in one write."""


class RunLedger:
    """The `Runs` port in DynamoDB, with the claims, the load lock and the loaded versions beside it."""

    def __init__(self, table_name: str, client: Any | None = None, lease_s: int = 60, clock: Clock = SYSTEM) -> None:
        self.table = Table(table_name, client, clock)
        self.claims = Claims(self.table, lease_s, clock)
        self.lease_s = lease_s
        self.clock = clock

    def lock(self, name: str, owner: str, wait_s: float = 300) -> contextlib.AbstractContextManager[Fence]:
        """Hold the named lock for a block (`shared.lock`): a renewed lease, and the fence for its writes."""
        return hold(self.table, name, owner, self.lease_s, wait_s, self.clock)

    def open(self, run_id: str, trigger: str, stage: Stage, record: StageRecord) -> None:
        # one update: a new run gets its trigger, start and status; a run that exists (a replay) keeps them
        self.table.update(RUN_PK, run_id, "SET #rec = :rec, run_id = :id, #tr = if_not_exists(#tr, :tr), "
                          "started_at = if_not_exists(started_at, :at), #st = if_not_exists(#st, :running)",
                          names={"#rec": f"stage_{stage}", "#tr": "trigger", "#st": "status"},
                          values={":rec": _stage(record), ":id": run_id, ":tr": trigger,
                                  ":at": record.started_at, ":running": "running"})

    def record_stage(self, run_id: str, stage: Stage, record: StageRecord) -> None:
        self.table.set_fields(RUN_PK, run_id, {f"stage_{stage}": _stage(record)})

    def finish(self, run_id: str, stage: Stage, record: StageRecord | None, claim: Claim,
               outcome: dict[str, Any]) -> None:
        # one transaction of two updates, so that the record and the claim's outcome never disagree; a
        # claim taken over cancels it, and the record is then written alone
        if record is None:
            self.claims.complete(claim, outcome)
            return
        try:
            self.table.transact([
                self.table.update_action(RUN_PK, run_id, "SET #rec = :rec", names={"#rec": f"stage_{stage}"},
                                         values={":rec": _stage(record)}),
                self.claims.complete_action(claim, outcome)])
        except ConditionFailed:
            taken_over(claim)
            self.record_stage(run_id, stage, record)

    def close(self, run_id: str, end: RunEnd, last: tuple[Stage, StageRecord] | None = None) -> None:
        stage = {f"stage_{last[0]}": _stage(last[1])} if last else {}
        allowed = ENTERED_FROM[end.status]
        statuses = [s for s in allowed if s is not None]
        condition = " OR ".join([*(["attribute_not_exists(#status)"] if None in allowed else []),
                                 *([f"#status IN ({', '.join(f':from{i}' for i in range(len(statuses)))})"]
                                   if statuses else [])])
        try:
            self.table.set_fields(RUN_PK, run_id, {**end.model_dump(mode="json"), **stage}, condition=condition,
                                  names={"#status": "status"},
                                  values={f":from{i}": s for i, s in enumerate(statuses)})
        except ConditionFailed:
            current = self.get(run_id)
            raise IllegalTransition(run_id, current.status if current else None, end.status) from None

    def get(self, run_id: str) -> Run | None:
        item = self.table.get(RUN_PK, run_id)
        return run_view(item) if item else None

    def recent(self, limit: int = 20) -> list[Run]:
        return [run_view(item) for item in self.table.query(RUN_PK, newest_first=True, limit=limit)]

    def source_versions(self) -> dict[str, LoadedSource]:
        return {item["sk"]: cast(LoadedSource, item) for item in self.table.query(SOURCE_PK)}

    def dataset_version(self) -> DatasetVersion | None:
        return cast(DatasetVersion | None, self.table.get(META_PK, "dataset"))


def _stage(record: StageRecord) -> dict[str, object]:
    return record.model_dump(mode="json", exclude_none=True)


def run_view(item: Mapping[str, object]) -> Run:
    """A run item as a `Run`: `stage_<name>` attributes gathered under `stages`."""
    run = {"run_id": item["sk"], **item}  # a run whose start was never recorded still has its key
    run["stages"] = {k[6:]: run.pop(k) for k in sorted(run) if k.startswith("stage_")}
    return Run.model_validate(run)
