"""The run ledger, the sources' last loaded versions and the dataset version, in the one table.

Single-table layout (partition key `pk`, sort key `sk`, both strings):

| pk          | sk            | what                                                   |
|-------------|---------------|--------------------------------------------------------|
| `series#US` | `2020-01-21`  | one day: date, cases, deaths, recovered (absent = null)|
| `run`       | run id        | one run: status, stage_<name> maps, counts, sources    |
| `source`    | `nyt`, `jhu`  | the version of each source last loaded                 |
| `meta`      | `dataset`     | data version (run id of the last load), totals         |
| `idem`      | stage#msg id  | idempotency claims (`shared.idempotency`)              |
| `lock`      | `load`        | the lease that keeps two runs' loads apart             |

Run ids sort by start time, so `Query pk=run` newest first lists the history without a Scan.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from boto3.dynamodb.conditions import Key

from shared import aws
from shared.idempotency import Claim, Claims
from shared.lock import hold
from shared.runs import FINAL, Run, RunEnd, Runs, StageRecord
from shared.topology import Stage

__all__ = ["FINAL", "Ledger", "RunLedger", "now_iso", "plain"]
SERIES_PK = "series#US"
RUN_PK = "run"
SOURCE_PK = "source"
META_PK = "meta"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def plain(value: Any) -> Any:
    """DynamoDB's Decimals back to ints and floats, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _clean(value: Any) -> Any:
    """Values DynamoDB accepts: floats as Decimal; None-valued map entries dropped."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class ClaimStore(Protocol):
    """Idempotency claims (`shared.idempotency.Claims`)."""

    def claim(self, stage: str, message_id: str) -> Claim: ...

    def complete(self, claim: Claim, outcome: dict[str, Any]) -> None: ...

    def release(self, claim: Claim) -> None: ...


class Ledger(Runs, Protocol):
    """What a stage reads and writes besides its own data: runs, claims, the load lock, loaded versions."""

    @property
    def claims(self) -> ClaimStore: ...

    def lock(self, name: str, owner: str, wait_s: float = 300) -> contextlib.AbstractContextManager[None]: ...

    def source_versions(self) -> dict[str, dict[str, Any]]: ...

    def dataset_version(self) -> dict[str, Any] | None: ...


class RunLedger:
    """The `Runs` port in DynamoDB, with the claims, the load lock and the loaded versions beside it."""

    def __init__(self, table_name: str, resource: Any | None = None, lease_s: int = 60) -> None:
        self.table = (resource or aws.resource("dynamodb")).Table(table_name)
        self.claims = Claims(self.table, lease_s)
        self.lease_s = lease_s

    def lock(self, name: str, owner: str, wait_s: float = 300) -> contextlib.AbstractContextManager[None]:
        """Hold the named lock for a block (`shared.lock`): a renewed lease that lapses if its holder dies."""
        return hold(self.table, name, owner, self.lease_s, wait_s)

    def start(self, run_id: str, trigger: str, started_at: str) -> bool:
        """Create the run record; False if it already exists (a duplicate delivery)."""
        try:
            self.table.put_item(
                Item={"pk": RUN_PK, "sk": run_id, "run_id": run_id, "status": "running",
                      "trigger": trigger, "started_at": started_at},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def record_stage(self, run_id: str, stage: Stage, record: StageRecord) -> None:
        self._update(run_id, {f"stage_{stage}": record.model_dump(mode="json", exclude_none=True)})

    def close(self, run_id: str, end: RunEnd) -> None:
        self._update(run_id, end.model_dump(mode="json"))

    def get(self, run_id: str) -> Run | None:
        item = self.table.get_item(Key={"pk": RUN_PK, "sk": run_id}, ConsistentRead=True).get("Item")
        return run_view(item) if item else None

    def recent(self, limit: int = 20) -> list[Run]:
        page = self.table.query(KeyConditionExpression=Key("pk").eq(RUN_PK), ScanIndexForward=False,
                                Limit=limit)
        return [run_view(item) for item in page["Items"]]

    def _update(self, run_id: str, fields: dict[str, Any]) -> None:
        """Set fields of the run; a None removes the field (a replayed run that succeeds loses its error)."""
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        sets = [f"#f{i} = :v{i}" for i, v in enumerate(fields.values()) if v is not None]
        removes = [f"#f{i}" for i, v in enumerate(fields.values()) if v is None]
        values = {f":v{i}": _clean(v) for i, v in enumerate(fields.values()) if v is not None}
        expression = " ".join(part for part in (
            "SET " + ", ".join(sets) if sets else "", "REMOVE " + ", ".join(removes) if removes else "") if part)
        if not expression:
            return
        extra = {"ExpressionAttributeValues": values} if values else {}
        self.table.update_item(Key={"pk": RUN_PK, "sk": run_id}, UpdateExpression=expression,
                               ExpressionAttributeNames=names, **extra)

    def source_versions(self) -> dict[str, dict[str, Any]]:
        page = self.table.query(KeyConditionExpression=Key("pk").eq(SOURCE_PK), ConsistentRead=True)
        return {item["sk"]: plain(item) for item in page["Items"]}

    def dataset_version(self) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": META_PK, "sk": "dataset"}, ConsistentRead=True).get("Item")
        return plain(item) if item else None


def run_view(item: dict[str, Any]) -> Run:
    """A run item as a `Run`: `stage_<name>` attributes gathered under `stages`."""
    run = plain(item)
    run["stages"] = {k[6:]: run.pop(k) for k in sorted(run) if k.startswith("stage_")}
    return Run.model_validate(run)
