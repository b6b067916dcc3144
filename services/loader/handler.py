"""Loader: write the dataset's new and changed rows of every region to DynamoDB, count exactly, commit.

Loads are serialised by the load lock, and every write is fenced by its token: a load that was
paused past its lease while another run loaded has its writes rejected (`LostLock`), and ends
superseded when that run was a later one (else it is retried). The diff base is the table image
the last commit left in S3 (`services.loader.image`), or the table itself when there is no image or
an unfinished load's marker says the table may differ from it (docs/regions.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.loader import image
from services.loader.dataset import Dataset, Region, parse
from services.loader.image import Rows
from services.loader.plan import Changes, changes, top, totals
from services.loader.writes import Item, marker
from shared.blobs import BlobStore, sha256_hex
from shared.clock import now_iso
from shared.layout import LOAD_PK, META_PK, SOURCE_PK, US
from shared.ledger import DatasetVersion
from shared.ledger import LoadCounts as UsCounts
from shared.lock import Fence, LostLock
from shared.messages import (
    DatasetLoadedV1,
    DatasetSupersededV1,
    DatasetTransformedV1,
    LoadCounts,
    Message,
    RegionCounts,
    new_id,
)
from shared.stage import Outcome, StageDeps, run_stage
from shared.topology import LOADER

log = logging.getLogger(__name__)


class Series(Protocol):
    """Where the regions' rows live (DynamoDB in production, a dict in unit tests); writes are fenced."""

    def loading(self) -> dict[str, object] | None:
        """The `meta/loading` marker of a load that has not committed, if any."""

    def catalogue(self) -> dict[str, Region]:
        """The region catalogue (`meta/regions`), empty before the first load of every region."""

    def current(self, regions: Iterable[str]) -> Rows:
        """Each region's rows by date, with their bookkeeping (one Query per region)."""

    def load(self, groups: Sequence[Sequence[Item]], commit: Sequence[Item], mark: Item, marked: bool,
             fence: Fence) -> None:
        """Write the groups (each in one transaction), then `commit`, in the transactions
        `services.loader.writes.transactions` plans; the last one gives the lock up."""


@dataclass(kw_only=True)
class Deps(StageDeps):
    blobs: BlobStore
    series: Series
    lock_wait_s: float = 30.0  # below the Lambda timeout; a load that cannot wait is retried


@dataclass(frozen=True)
class Base:
    """What a load diffs against: the table's rows, its catalogue, and the run's load instant."""

    rows: Rows
    catalogue: dict[str, Region]
    loaded_at: str
    marked: bool  # an unfinished load left its marker
    read: str  # "image", "table" or "empty"


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


def base(committed: DatasetVersion | None, dataset: Dataset, run_id: str, deps: Deps) -> Base:
    """The image the last commit named, unless a marker says the table may hold rows it does not; else
    the table, read back for every region of the catalogue and of the dataset."""
    mark, catalogue = deps.series.loading(), deps.series.catalogue()
    loaded_at = str(mark["loaded_at"]) if mark and mark.get("run_id") == run_id else now_iso(deps.clock)
    key = committed.get("image") if committed else None
    if key and mark is None:
        try:
            return Base(image.decode(key, deps.blobs.get(key)), catalogue, loaded_at, False, "image")
        except Exception as error:  # a lost or damaged image: the table is the truth, read it
            log.warning("table image unreadable, reading the table instead",
                        extra={"fields": {"key": key, "error": str(error)}})
    if committed is None and mark is None:  # nothing committed, no try died halfway: the table has no rows
        return Base({}, catalogue, loaded_at, False, "empty")
    rows = deps.series.current({US, *catalogue, *dataset.series})
    return Base({r: dates for r, dates in rows.items() if dates}, catalogue, loaded_at, mark is not None, "table")


def load(transformed: DatasetTransformedV1, body: bytes, run_id: str, fence: Fence, deps: Deps) -> Outcome:
    """Diff `body` (the transformed dataset, read from `transformed.key`) against the table and write it."""
    if sha256_hex(body) != transformed.sha256:
        raise RuntimeError(f"{transformed.key}: sha256 does not match the message")  # retried
    dataset = parse(body)
    committed = deps.ledger.dataset_version()
    if committed and committed["version"] > run_id:  # run ids sort by start: a later run loaded first
        return superseded(transformed, committed)
    if committed and committed["version"] == run_id and "counts" in committed:
        return counted(transformed, committed)  # a redelivery: this load was committed already
    was = base(committed, dataset, run_id, deps)
    # counts this run's rows from a try that died as that try's
    ch = changes(dataset, was.rows, was.catalogue, run_id, was.loaded_at)
    key, data = image.encode(ch.rows)
    deps.blobs.put(key, data, "application/gzip")  # content-addressed: a retry puts the same bytes
    version = dataset_version(ch, run_id, was.loaded_at, key)
    deps.series.load(ch.groups, commit_items(ch, version, transformed), marker(run_id, was.loaded_at),
                     was.marked, fence)
    log.info("loaded", extra={"fields": {"base": was.read, "writes": sum(len(g) for g in ch.groups),
                                         **version.get("all", {})}})
    return counted(transformed, version)


def dataset_version(ch: Changes, run_id: str, loaded_at: str, key: str) -> DatasetVersion:
    """The `meta/dataset` item: the v1 counts and span are the default region's, `all` every region's."""
    us = ch.counts.get(US)
    dates = sorted(ch.rows.get(US, {}))
    counts: UsCounts = {"inserted": us.inserted if us else 0, "updated": us.updated if us else 0,
                          "unchanged": us.unchanged if us else 0, "kept": us.kept if us else []}
    kept = {r: c.kept for r, c in ch.counts.items() if r != US and c.kept}
    warnings = list(ch.warnings)
    if kept:
        warnings.append(f"{sum(map(len, kept.values()))} date(s) of {len(kept)} other region(s) are no longer in "
                        f"the sources and were kept: {', '.join(sorted(kept)[:5])}")
    return {"version": run_id, "rows_total": len(dates), "first_date": dates[0] if dates else None,
            "last_date": dates[-1] if dates else None, "counts": counts, "loaded_at": loaded_at, "image": key,
            "all": totals(ch.counts, ch.rows), "regions": top(ch.counts, ch.catalogue), "warnings": warnings}


def commit_items(ch: Changes, version: DatasetVersion, transformed: DatasetTransformedV1) -> list[Item]:
    """What the last transaction writes: the sources' versions, the catalogue, the `load` item, and
    `meta/dataset` (the commit point) last."""
    sources = [s.model_dump(mode="json") for s in transformed.sources]
    at = version["loaded_at"]
    load_item = {"pk": LOAD_PK, "sk": version["version"], "loaded_at": at,
                 "sources": {s["name"]: s["sha256"] for s in sources}, "counts": version["all"],
                 "regions": version["regions"]}
    return [*({"pk": SOURCE_PK, "sk": s["name"], **s, "loaded_at": at} for s in sources),
            {"pk": META_PK, "sk": "regions", "regions": ch.catalogue}, load_item,
            {"pk": META_PK, "sk": "dataset", **version}]


def counted(transformed: DatasetTransformedV1, dataset: DatasetVersion) -> Outcome:
    """The outcome of the load that committed `dataset`, from the counts it committed with it."""
    counts, rows_total = dataset["counts"], dataset["rows_total"]
    warnings = [*transformed.warnings, *dataset.get("warnings", [])]
    if counts["kept"]:
        warnings.append(f"{len(counts['kept'])} date(s) in the table are no longer in the sources and were "
                        f"kept: {', '.join(counts['kept'][:5])}")
    at, every = dataset.get("loaded_at"), dataset.get("all")
    loaded = DatasetLoadedV1(
        inserted=counts["inserted"], updated=counts["updated"], unchanged=counts["unchanged"],
        rows_total=rows_total, first_date=transformed.first_date, last_date=transformed.last_date,
        sources=transformed.sources, warnings=warnings, all=LoadCounts.model_validate(every) if every else None,
        regions=[RegionCounts.model_validate(r) for r in dataset.get("regions", [])],
        loaded_at=datetime.fromisoformat(at) if at else None)
    return Outcome(loaded, {"inserted": loaded.inserted, "updated": loaded.updated, "unchanged": loaded.unchanged,
                            "rows_total": rows_total, "loaded_at": at,
                            "all": loaded.all.model_dump() if loaded.all else None})
