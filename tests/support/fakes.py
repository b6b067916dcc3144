"""Hand-written fakes of the ports the handlers use (no mock library, no sockets)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from shared.idempotency import Claim, ClaimedElsewhere


class FakeClaims:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def claim(self, stage: str, message_id: str) -> Claim:
        key = f"{stage}#{message_id}"
        item = self.items.get(key)
        if item is None:
            self.items[key] = {"status": "in_progress"}
            return Claim(key, fresh=True)
        if item["status"] == "completed":
            return Claim(key, fresh=False, outcome=item.get("outcome"))
        raise ClaimedElsewhere(key)

    def complete(self, claim: Claim, outcome: dict[str, Any]) -> None:
        self.items[claim.key] = {"status": "completed", "outcome": outcome}

    def release(self, claim: Claim) -> None:
        self.items.pop(claim.key, None)


class FakeLedger:
    """RunLedger's behaviour on dicts."""

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, dict[str, Any]] = {}
        self.dataset: dict[str, Any] | None = None
        self.claims = FakeClaims()
        self.locks: list[str] = []

    def start_run(self, run_id: str, trigger: str) -> bool:
        if run_id in self.runs:
            return False
        self.runs[run_id] = {"run_id": run_id, "status": "running", "trigger": trigger, "stages": {}}
        return True

    def update_run(self, run_id: str, **fields: Any) -> None:
        run = self.runs.setdefault(run_id, {"run_id": run_id, "stages": {}})
        run.update({k: v for k, v in fields.items() if v is not None})
        for key in [k for k, v in fields.items() if v is None]:  # None removes, as in DynamoDB
            run.pop(key, None)

    def stage(self, run_id: str, stage: str, **record: Any) -> None:
        self.runs.setdefault(run_id, {"run_id": run_id, "stages": {}})["stages"][stage] = record

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        return self.runs.get(run_id)

    def source_versions(self) -> dict[str, dict[str, Any]]:
        return dict(self.sources)

    def dataset_version(self) -> dict[str, Any] | None:
        return self.dataset

    @contextlib.contextmanager
    def lock(self, name: str, owner: str, wait_s: float = 300, lease_s: int = 300) -> Iterator[None]:
        self.locks.append(f"{name}:{owner}")
        yield


class FakeSeries:
    """The loader's Series port on a dict; commits versions into a FakeLedger like DynamoDB would."""

    def __init__(self, ledger: FakeLedger) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.ledger = ledger
        self.written: list[int] = []

    def current(self) -> dict[str, dict[str, Any]]:
        return {d: dict(r) for d, r in self.rows.items()}

    def write(self, rows: list[dict[str, Any]], run_id: str) -> None:
        self.written.append(len(rows))
        for row in rows:
            item = {**row, "run_id": run_id}
            if item.get("recovered") is None:
                item.pop("recovered", None)
            self.rows[row["date"]] = item

    def commit_versions(self, sources: list[dict[str, Any]], dataset: dict[str, Any]) -> None:
        self.ledger.sources = {s["name"]: s for s in sources}
        self.ledger.dataset = dataset


class FakeAnnouncer:
    def __init__(self) -> None:
        self.announced: list[tuple[str, dict[str, Any]]] = []

    def announce(self, subject: str, body: dict[str, Any]) -> None:
        self.announced.append((subject, body))
