"""Loader: write the dataset's new and changed rows to DynamoDB, count exactly, commit versions.

Loads are serialised by the load lock, and every write is fenced by its token: a load that was
paused past its lease while another run loaded has its writes rejected (`LostLock`), and ends
superseded when that run was a later one (else it is retried).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from services.loader.diff import Diff, diff
from shared.blobs import BlobStore, sha256_hex
from shared.lock import Fence, LostLock
from shared.messages import DatasetLoadedV1, DatasetTransformedV1, Message, new_id
from shared.stage import Outcome, StageDeps, read_ahead, run_stage
from shared.topology import LOADER


class Series(Protocol):
    """Where the daily rows live (DynamoDB in production, a dict in unit tests); writes are fenced."""

    def current(self, committed: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]: ...

    def atomic(self, rows: int, sources: int) -> bool:
        """Whether `load` writes this many rows and source versions all at once (one transaction)."""

    def load(self, rows: list[dict[str, Any]], sources: list[dict[str, Any]], dataset: dict[str, Any],
             fence: Fence) -> None:
        """Write `rows` and commit the source versions and `dataset` (the dataset version's item)."""


@dataclass(kw_only=True)
class Deps(StageDeps):
    blobs: BlobStore
    series: Series
    lock_wait_s: float = 30.0  # below the Lambda timeout; a load that cannot wait is retried


def handle(message: Message, deps: Deps) -> None:
    transformed = message.payload
    assert isinstance(transformed, DatasetTransformedV1)
    run_id = message.envelope.run_id
    body = read_ahead(deps.blobs.get, transformed.key)  # while the message is claimed and the lock taken

    def locked_load() -> Outcome:
        # two loads never interleave, not even two deliveries of one run's message
        try:
            with deps.ledger.lock("load", owner=f"{run_id}/{new_id()}", wait_s=deps.lock_wait_s) as fence:
                return load(transformed, body.result(), run_id, fence, deps)
        except LostLock:
            committed = deps.ledger.dataset_version() or {}
            if committed.get("version", "") > run_id:
                return superseded(transformed, committed, paused=True)
            raise  # an earlier run took over: this one is retried and loads after it

    run_stage(LOADER, message, deps, locked_load)


def planned_diff(current: dict[str, dict[str, Any]], records: list[dict[str, Any]], run_id: str,
                 dataset_sha256: str, committed: dict[str, Any], sources: int, deps: Deps) -> Diff:
    """The diff, decided once per run: kept in S3 before the first write when the load takes more
    than one transaction.

    A load that dies between two transactions is redelivered; diffing again would count the rows
    it wrote already as unchanged. Such a load marked the dataset `writing` first (or found no
    dataset committed), and its retry reuses the kept plan (the writes are idempotent puts) unless
    another load has been committed since, which makes a fresh diff the right one. A load in one
    transaction wrote all or nothing: its retry diffs afresh, or finds its own commit.
    """
    key = f"plans/{run_id}/{dataset_sha256}.json"
    base = committed.get("version")
    if (committed.get("writing") == run_id or base is None) and deps.blobs.exists(key):
        plan = json.loads(deps.blobs.get(key))
        if plan["base"] == base:
            return Diff(plan["inserted"], plan["updated"], plan["unchanged"], plan["kept"])
    changes = diff(current, records)
    if not deps.series.atomic(len(changes.writes), sources):
        plan = {"base": base, "inserted": changes.inserted, "updated": changes.updated,
                "unchanged": changes.unchanged, "kept": changes.kept}
        deps.blobs.put(key, json.dumps(plan).encode(), "application/json")
    return changes


def superseded(transformed: DatasetTransformedV1, committed: dict[str, Any], paused: bool = False) -> Outcome:
    """Writing this run's older data over a later run's would move the table back in time."""
    newer = committed["version"]
    how = ("took the load lock while this run's load was paused past its lease, and loaded; this run's "
           "remaining writes were rejected" if paused else "loaded first; this run's data was not written")
    warning = f"superseded: run {newer}, which started later, {how}, so the table keeps the newer data"
    loaded = DatasetLoadedV1(inserted=0, updated=0, unchanged=0, rows_total=committed.get("rows_total", 0),
                             first_date=committed.get("first_date"), last_date=committed.get("last_date"),
                             sources=transformed.sources, warnings=[*transformed.warnings, warning])
    return Outcome(loaded, {"inserted": 0, "updated": 0, "superseded_by": newer})


def load(transformed: DatasetTransformedV1, body: bytes, run_id: str, fence: Fence, deps: Deps) -> Outcome:
    """Diff `body` (the transformed dataset, read from `transformed.key`) against the table and write it."""
    if sha256_hex(body) != transformed.sha256:
        raise RuntimeError(f"{transformed.key}: sha256 does not match the message")  # retried
    records = json.loads(body)["records"]
    committed = deps.ledger.dataset_version() or {}
    if committed.get("version", "") > run_id:  # run ids sort by start: a later run loaded first
        return superseded(transformed, committed)
    if committed.get("version") == run_id and "counts" in committed:
        return counted(transformed, committed)  # a redelivery: this load was committed already
    current = deps.series.current(committed)
    sources = [s.model_dump(mode="json") for s in transformed.sources]
    changes = planned_diff(current, records, run_id, transformed.sha256, committed, len(sources), deps)
    dates = sorted(set(current) | {r["date"] for r in records})
    counts = {"inserted": len(changes.inserted), "updated": len(changes.updated), "unchanged": changes.unchanged,
              "kept": changes.kept}
    dataset = {"version": run_id, "rows_total": len(dates), "first_date": dates[0] if dates else None,
               "last_date": dates[-1] if dates else None, "counts": counts}
    deps.series.load(changes.writes, sources, dataset, fence)
    return counted(transformed, dataset)


def counted(transformed: DatasetTransformedV1, dataset: dict[str, Any]) -> Outcome:
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
