"""The run ledger, the sources' last loaded versions and the dataset version, in the one table.

Single-table layout (partition key `pk`, sort key `sk`, both strings):

| pk          | sk            | what                                                   |
|-------------|---------------|--------------------------------------------------------|
| `series#US` | `2020-01-21`  | one day: date, cases, deaths, recovered (absent = null)|
| `run`       | run id        | one run: status, stage_<name> maps, counts, sources    |
| `source`    | `nyt`, `jhu`  | the version of each source last loaded                 |
| `meta`      | `dataset`     | data version (run id of the last load), totals         |
| `idem`      | stage#msg id  | idempotency claims (`shared.idempotency`)              |
| `lock`      | `load`        | the lease and fencing token that keep loads apart      |

Run ids sort by start time, so `Query pk=run` newest first lists the history without a Scan.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from shared.clock import SYSTEM, Clock, now_iso
from shared.dynamo import ConditionFailed, Table
from shared.idempotency import Claim, Claims
from shared.lock import Fence, hold
from shared.runs import FINAL, Run, RunEnd, Runs, StageRecord
from shared.topology import Stage

__all__ = ["FINAL", "Ledger", "RunLedger", "now_iso"]
SERIES_PK = "series#US"
RUN_PK = "run"
SOURCE_PK = "source"
META_PK = "meta"


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

    def source_versions(self) -> dict[str, dict[str, Any]]: ...

    def dataset_version(self) -> dict[str, Any] | None: ...


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

    def start(self, run_id: str, trigger: str, started_at: str) -> bool:
        """Create the run record; False if it already exists (a duplicate delivery)."""
        try:
            self.table.put({"pk": RUN_PK, "sk": run_id, "run_id": run_id, "status": "running", "trigger": trigger,
                            "started_at": started_at}, condition="attribute_not_exists(pk)")
        except ConditionFailed:
            return False
        return True

    def record_stage(self, run_id: str, stage: Stage, record: StageRecord) -> None:
        self.table.set_fields(RUN_PK, run_id, {f"stage_{stage}": record.model_dump(mode="json", exclude_none=True)})

    def close(self, run_id: str, end: RunEnd) -> None:
        self.table.set_fields(RUN_PK, run_id, end.model_dump(mode="json"))

    def get(self, run_id: str) -> Run | None:
        item = self.table.get(RUN_PK, run_id)
        return run_view(item) if item else None

    def recent(self, limit: int = 20) -> list[Run]:
        return [run_view(item) for item in self.table.query(RUN_PK, newest_first=True, limit=limit)]

    def source_versions(self) -> dict[str, dict[str, Any]]:
        return {item["sk"]: item for item in self.table.query(SOURCE_PK)}

    def dataset_version(self) -> dict[str, Any] | None:
        return self.table.get(META_PK, "dataset")


def run_view(item: dict[str, Any]) -> Run:
    """A run item as a `Run`: `stage_<name>` attributes gathered under `stages`."""
    run = {"run_id": item["sk"], **item}  # a run whose start was never recorded still has its key
    run["stages"] = {k[6:]: run.pop(k) for k in sorted(run) if k.startswith("stage_")}
    return Run.model_validate(run)
