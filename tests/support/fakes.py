"""Hand-written fakes of the ports the handlers use (no mock library, no sockets)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

from services.loader.dataset import Region
from services.loader.handler import Series
from services.loader.image import Rows
from services.loader.repository import normalised
from services.loader.writes import LOADING, transactions, unfinished
from shared.dynamo import plain, to_dynamo
from shared.idempotency import Claim, ClaimedElsewhere
from shared.layout import META_PK, SERIES, SOURCE_PK, US, series_pk
from shared.ledger import ClaimStore, DatasetVersion, Ledger, LoadedSource
from shared.lock import Fence
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
    """The loader's Series port on a dict of items keyed (pk, sk), as DynamoDB would hold them: the same
    writes in the same transactions as `SeriesRepository.load` (`services.loader.writes.transactions`);
    commits the source versions and the dataset version into a FakeLedger."""

    def __init__(self, ledger: FakeLedger, per_transaction: int = 100) -> None:
        self.items: dict[tuple[str, str], dict[str, object]] = {}
        self.ledger, self.per_transaction = ledger, per_transaction
        self.written: list[int] = []  # the default region's rows each load wrote
        self.written_all: list[int] = []  # every region's
        self.transactions: list[int] = []  # the writes of each transaction made
        self.queries: list[str] = []  # the partitions read back
        self.dies_after: int | None = None  # a load dies after this many transactions (a SIGKILL), once

    @property
    def rows(self) -> dict[str, dict[str, object]]:
        """The default region's items by date."""
        return {sk: item for (pk, sk), item in sorted(self.items.items()) if pk == series_pk(US)}

    def partition(self, pk: str) -> dict[str, dict[str, object]]:
        return {sk: item for (p, sk), item in sorted(self.items.items()) if p == pk}

    def loading(self) -> dict[str, object] | None:
        return unfinished(self.items.get((META_PK, LOADING)))

    def catalogue(self) -> dict[str, Region]:
        item = self.items.get((META_PK, "regions"))
        return cast(dict[str, Region], item["regions"]) if item else {}

    def current(self, regions: Iterable[str]) -> Rows:
        self.queries += [series_pk(r) for r in sorted(set(regions))]
        return {r: {sk: normalised(item) for sk, item in self.partition(series_pk(r)).items()} for r in set(regions)}

    def load(self, groups: Sequence[Sequence[Mapping[str, object]]], commit: Sequence[Mapping[str, object]],
             mark: Mapping[str, object], marked: bool, fence: Fence) -> None:
        self.written.append(sum(1 for g in groups for i in g if i["pk"] == series_pk(US)))
        self.written_all.append(sum(1 for g in groups for i in g if str(i["pk"]).startswith(SERIES)))
        for n, batch in enumerate(transactions(groups, commit, mark, marked, self.per_transaction)):
            if self.dies_after == n:
                self.dies_after = None
                raise RuntimeError(f"killed after {n} transaction(s)")
            self.transactions.append(len(batch))
            for write in batch:
                # as DynamoDB stores it: a null attribute (or map entry) absent, numbers back as int or float
                self.items[(str(write["pk"]), str(write["sk"]))] = cast(dict[str, object], plain(to_dynamo(write)))
                if write["pk"] == SOURCE_PK:
                    self.ledger.sources[str(write["sk"])] = cast(LoadedSource, dict(write))
                elif (write["pk"], write["sk"]) == (META_PK, "dataset"):
                    self.ledger.dataset = cast(DatasetVersion, dict(write))


def _series_conforms(fake: FakeSeries) -> Series:
    return fake  # mypy checks the fake against the loader's port


class FakeAnnouncer:
    def __init__(self) -> None:
        self.announced: list[tuple[str, dict[str, Any]]] = []

    def announce(self, subject: str, body: dict[str, object]) -> None:
        self.announced.append((subject, body))
