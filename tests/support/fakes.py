"""Hand-written fakes of the ports the handlers use (no mock library, no sockets)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from services.loader.diff import RowWrite, Stored
from services.loader.handler import Series
from shared.daily import KEY, to_item
from shared.idempotency import Claim, ClaimedElsewhere
from shared.ledger import ClaimStore, DatasetVersion, Ledger, LoadedSource
from shared.lock import Fence, transactions
from shared.runs import Run, RunEnd, Runs, StageRecord, check_transition
from shared.topology import Stage


class MemoryRuns:
    """The `Runs` port on a dict."""

    def __init__(self) -> None:
        self.items: dict[str, Run] = {}

    def open(self, run_id: str, trigger: str, stage: Stage, record: StageRecord) -> None:
        if run_id not in self.items:
            self.items[run_id] = Run(run_id=run_id, trigger=trigger, started_at=record.started_at)
        self.record_stage(run_id, stage, record)

    def record_stage(self, run_id: str, stage: Stage, record: StageRecord) -> None:
        run = self.items.get(run_id) or Run(run_id=run_id)
        self.items[run_id] = run.model_copy(update={"stages": {**run.stages, stage: record}})

    def close(self, run_id: str, end: RunEnd, last: tuple[Stage, StageRecord] | None = None) -> None:
        check_transition(run_id, self.items[run_id].status if run_id in self.items else None, end.status)
        if last:
            self.record_stage(run_id, *last)
        run = self.items.get(run_id) or Run(run_id=run_id)
        self.items[run_id] = run.model_copy(update=dict(end))

    def get(self, run_id: str) -> Run | None:
        return self.items.get(run_id)

    def recent(self, limit: int = 20) -> list[Run]:
        return [self.items[k] for k in sorted(self.items, reverse=True)[:limit]]


def _runs_conform(fake: MemoryRuns) -> Runs:
    return fake  # mypy checks here that the fake keeps to the port


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

    @contextlib.contextmanager
    def kept(self, claim: Claim) -> Iterator[None]:
        yield


class FakeLedger(MemoryRuns):
    """RunLedger's behaviour in memory (the runs are MemoryRuns')."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: dict[str, LoadedSource] = {}
        self.dataset: DatasetVersion | None = None
        self.fake_claims = FakeClaims()
        self.locks: list[str] = []

    @property
    def claims(self) -> ClaimStore:
        return self.fake_claims

    @property
    def runs(self) -> dict[str, dict[str, Any]]:
        """Each run as the API shows it (absent fields left out), for assertions."""
        return {run_id: run.as_json() for run_id, run in self.items.items()}

    def source_versions(self) -> dict[str, LoadedSource]:
        return dict(self.sources)

    def dataset_version(self) -> DatasetVersion | None:
        return self.dataset

    def finish(self, run_id: str, stage: Stage, record: StageRecord | None, claim: Claim,
               outcome: dict[str, Any]) -> None:
        if record is not None:
            self.record_stage(run_id, stage, record)
        self.fake_claims.complete(claim, outcome)

    @contextlib.contextmanager
    def lock(self, name: str, owner: str, wait_s: float = 300) -> Iterator[Fence]:
        self.locks.append(f"{name}:{owner}")
        yield Fence(name, len(self.locks))


def _conforms(fake: FakeLedger) -> Ledger:
    return fake  # mypy checks the fake against the port


class FakeSeries:
    """The loader's Series port on a dict; commits versions into a FakeLedger like DynamoDB would, in
    the transactions `shared.lock.transactions` plans, as `SeriesRepository.load` does."""

    def __init__(self, ledger: FakeLedger, per_transaction: int = 100) -> None:
        self.rows: dict[str, dict[str, object]] = {}
        self.ledger, self.per_transaction = ledger, per_transaction
        self.written: list[int] = []  # the rows each load wrote
        self.dies_after: int | None = None  # a load dies after this many transactions (a SIGKILL), once

    def current(self) -> dict[str, Stored]:
        return {d: dict(r) for d, r in self.rows.items()}

    def load(self, rows: Sequence[RowWrite], sources: Sequence[Mapping[str, object]], dataset: DatasetVersion,
             fence: Fence) -> None:
        writes: list[tuple[str, Mapping[str, object]]] = [*(("row", r) for r in rows),
                                                          *(("source", s) for s in sources), ("dataset", dataset)]
        self.written.append(len(rows))
        for n, planned in enumerate(transactions(len(writes), self.per_transaction)):
            if self.dies_after == n:
                self.dies_after = None
                raise RuntimeError(f"killed after {n} transaction(s)")
            for kind, write in writes[planned.start:planned.stop]:
                if kind == "row":
                    first = write.get("first_run", dataset["version"])
                    item = to_item(write, run_id=dataset["version"], first_run=None if first is None else str(first),
                                   updated_at="t")
                    self.rows[str(write[KEY])] = {k: v for k, v in item.items() if v is not None}
                elif kind == "source":
                    self.ledger.sources[str(write["name"])] = cast(LoadedSource, write)
                else:
                    self.ledger.dataset = dataset


def _series_conforms(fake: FakeSeries) -> Series:
    return fake  # mypy checks the fake against the loader's port


class FakeAnnouncer:
    def __init__(self) -> None:
        self.announced: list[tuple[str, dict[str, Any]]] = []

    def announce(self, subject: str, body: dict[str, object]) -> None:
        self.announced.append((subject, body))
