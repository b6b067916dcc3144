"""Loader: write the dataset's new and changed rows to DynamoDB, count exactly, commit versions.

Loads are serialised by the load lock, and every write is fenced by its token: a load that was
paused past its lease while another run loaded has its writes rejected (`LostLock`), and ends
superseded when that run was a later one (else it is retried).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.loader.diff import RowWrite, Stored, diff
from shared.blobs import BlobStore, sha256_hex
from shared.daily import DailyRow
from shared.ledger import DatasetVersion, LoadCounts
from shared.lock import Fence, LostLock
from shared.messages import DatasetLoadedV1, DatasetSupersededV1, DatasetTransformedV1, Message, new_id
from shared.stage import Outcome, StageDeps, run_stage
from shared.topology import LOADER


class Series(Protocol):
    """Where the daily rows live (DynamoDB in production, a dict in unit tests); writes are fenced."""

    def current(self) -> dict[str, Stored]:
        """The rows by date, with the runs that first and last wrote them (`first_run`, `run_id`)."""

    def load(self, rows: Sequence[RowWrite], sources: Sequence[Mapping[str, object]], dataset: DatasetVersion,
             fence: Fence) -> None:
        """Write `rows` and commit the source versions and `dataset` (the dataset version's item), the
        commit in the last of the transactions `shared.lock.transactions` plans."""


@dataclass(kw_only=True)
class Deps(StageDeps):
    blobs: BlobStore
    series: Series
    lock_wait_s: float = 30.0  # below the Lambda timeout; a load that cannot wait is retried


def handle(message: Message, deps: Deps) -> None:
    transformed = message.payload
    assert isinstance(transformed, DatasetTransformedV1)
    run_id = message.envelope.run_id

    def locked_load() -> Outcome:
        body = deps.blobs.get(transformed.key)
        # two loads never interleave, not even two deliveries of one run's message
        try:
            with deps.ledger.lock("load", owner=f"{run_id}/{new_id()}", wait_s=deps.lock_wait_s) as fence:
                return load(transformed, body, run_id, fence, deps)
        except LostLock:
            committed = deps.ledger.dataset_version()
            if committed and committed["version"] > run_id:
                return superseded(transformed, committed, paused=True)
            raise  # an earlier run took over: this one is retried and loads after it

    run_stage(LOADER, message, deps, locked_load)


def superseded(transformed: DatasetTransformedV1, committed: DatasetVersion, paused: bool = False) -> Outcome:
    """Writing this run's older data over a later run's would move the table back in time: the run ends
    as `no_change` (`DatasetSupersededV1`), the table keeping the newer data."""
    newer = committed["version"]
    how = ("took the load lock while this run's load was paused past its lease, and loaded; this run's "
           "remaining writes were rejected" if paused else "loaded first; this run's data was not written")
    warning = f"superseded: run {newer}, which started later, {how}, so the table keeps the newer data"
    event = DatasetSupersededV1(by=newer, first_date=committed.get("first_date"),
                                last_date=committed.get("last_date"), sources=transformed.sources,
                                warnings=[*transformed.warnings, warning])
    return Outcome(event, {"inserted": 0, "updated": 0, "superseded_by": newer})


def load(transformed: DatasetTransformedV1, body: bytes, run_id: str, fence: Fence, deps: Deps) -> Outcome:
    """Diff `body` (the transformed dataset, read from `transformed.key`) against the table and write it."""
    if sha256_hex(body) != transformed.sha256:
        raise RuntimeError(f"{transformed.key}: sha256 does not match the message")  # retried
    records: list[DailyRow] = json.loads(body)["records"]
    committed = deps.ledger.dataset_version()
    if committed and committed["version"] > run_id:  # run ids sort by start: a later run loaded first
        return superseded(transformed, committed)
    if committed and committed["version"] == run_id and "counts" in committed:
        return counted(transformed, committed)  # a redelivery: this load was committed already
    current = deps.series.current()
    sources = [s.model_dump(mode="json") for s in transformed.sources]
    changes = diff(current, records, run_id)  # counts this run's rows from a try that died as that try's
    dates = sorted(set(current) | {r["date"] for r in records})
    counts: LoadCounts = {"inserted": len(changes.inserted), "updated": len(changes.updated),
                          "unchanged": changes.unchanged, "kept": changes.kept}
    dataset: DatasetVersion = {"version": run_id, "rows_total": len(dates), "first_date": dates[0] if dates else None,
                               "last_date": dates[-1] if dates else None, "counts": counts}
    deps.series.load(changes.writes, sources, dataset, fence)
    return counted(transformed, dataset)


def counted(transformed: DatasetTransformedV1, dataset: DatasetVersion) -> Outcome:
    """The outcome of the load that committed `dataset`, from the counts it committed with it."""
    counts, rows_total = dataset["counts"], dataset["rows_total"]
    warnings = list(transformed.warnings)
    if counts["kept"]:
        warnings.append(f"{len(counts['kept'])} date(s) in the table are no longer in the sources and were "
                        f"kept: {', '.join(counts['kept'][:5])}")
    loaded = DatasetLoadedV1(
        inserted=counts["inserted"], updated=counts["updated"], unchanged=counts["unchanged"],
        rows_total=rows_total, first_date=transformed.first_date, last_date=transformed.last_date,
        sources=transformed.sources, warnings=warnings)
    return Outcome(loaded, {"inserted": loaded.inserted, "updated": loaded.updated, "unchanged": loaded.unchanged,
                            "rows_total": rows_total})
