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
from typing import Any

from boto3.dynamodb.conditions import Key

from shared import aws
from shared.idempotency import Claims
from shared.lock import hold

SERIES_PK = "series#US"
RUN_PK = "run"
SOURCE_PK = "source"
META_PK = "meta"
FINAL = ("succeeded", "no_change", "failed")


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


class RunLedger:
    """Records each run and each stage of it; read by the CLI and the API."""

    def __init__(self, table_name: str, resource: Any | None = None, lease_s: int = 60) -> None:
        self.table = (resource or aws.resource("dynamodb")).Table(table_name)
        self.claims = Claims(self.table, lease_s)
        self.lease_s = lease_s

    def lock(self, name: str, owner: str, wait_s: float = 300) -> contextlib.AbstractContextManager[None]:
        """Hold the named lock for a block (`shared.lock`): a renewed lease that lapses if its holder dies."""
        return hold(self.table, name, owner, self.lease_s, wait_s)

    def start_run(self, run_id: str, trigger: str) -> bool:
        """Create the run record; False if it already exists (a duplicate delivery)."""
        try:
            self.table.put_item(
                Item={"pk": RUN_PK, "sk": run_id, "run_id": run_id, "status": "running",
                      "trigger": trigger, "started_at": now_iso()},
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.table.meta.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def update_run(self, run_id: str, **fields: Any) -> None:
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

    def stage(self, run_id: str, stage: str, **record: Any) -> None:
        """Set the record of one stage (status, started_at, finished_at, duration_ms, error)."""
        self.update_run(run_id, **{f"stage_{stage}": record})

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": RUN_PK, "sk": run_id}, ConsistentRead=True).get("Item")
        return run_view(item) if item else None

    def list_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        page = self.table.query(KeyConditionExpression=Key("pk").eq(RUN_PK), ScanIndexForward=False,
                                Limit=limit)
        return [run_view(item) for item in page["Items"]]

    def source_versions(self) -> dict[str, dict[str, Any]]:
        page = self.table.query(KeyConditionExpression=Key("pk").eq(SOURCE_PK), ConsistentRead=True)
        return {item["sk"]: plain(item) for item in page["Items"]}

    def dataset_version(self) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": META_PK, "sk": "dataset"}, ConsistentRead=True).get("Item")
        return plain(item) if item else None


def run_view(item: dict[str, Any]) -> dict[str, Any]:
    """A run item as plain JSON: `stage_<name>` attributes gathered under `stages`."""
    run = plain(item)
    run.pop("pk", None)
    run.pop("sk", None)
    run["stages"] = {k[6:]: run.pop(k) for k in sorted(run) if k.startswith("stage_")}
    return run
