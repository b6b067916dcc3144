"""What a load writes, decided without I/O: each region's diff, its items, the catalogue, the warnings.

Per region, today's diff (`services.loader.diff`, with its retry counting by `first_run` and
`run_id`) against the rows the table holds (the image, or the table read back). Each written row is
its `series#` item with the run's `loaded_at`; a row whose values changed since another run wrote
them also gets its old value's `revision#` item, and the two are one group that one transaction
writes (docs/regions.md). A region the catalogue knows and the dataset lacks keeps its rows; a
region whose name changed under the same id loads under its new name: both say so in a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from services.loader.dataset import Dataset, Region
from services.loader.diff import RowWrite, Stored, diff, values
from services.loader.image import Rows
from shared.daily import ROW_FIELDS
from shared.layout import revision_pk, series_pk

Item = dict[str, object]


@dataclass(frozen=True)
class RegionLoad:
    """One region's counts: rows inserted, updated, unchanged, held after the load, dates kept."""

    inserted: int
    updated: int
    unchanged: int
    rows_total: int
    kept: list[str]

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


@dataclass
class Changes:
    groups: list[list[Item]] = field(default_factory=list)  # each written by one transaction
    rows: Rows = field(default_factory=dict)  # the table's current rows after the load (the next image)
    counts: dict[str, RegionLoad] = field(default_factory=dict)  # the dataset's regions
    catalogue: dict[str, Region] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def loaded_at_of(row: Stored) -> str:
    """When a stored row was loaded (rows written before `loaded_at` carry their write's `updated_at`)."""
    return str(row.get("loaded_at") or row.get("updated_at") or "")


def current_item(region: str, row: RowWrite, run_id: str, loaded_at: str) -> Item:
    first = row.get("first_run", run_id)
    fields = {k: row.get(k) for k in ROW_FIELDS if row.get(k) is not None}  # (the date too: the API reads it)
    return {"pk": series_pk(region), "sk": row["date"], **fields, "run_id": run_id,
            "first_run": run_id if first is None else first, "loaded_at": loaded_at}


def revision_item(region: str, old: Stored, run_id: str, loaded_at: str) -> Item:
    """The superseded value `old` (a `series#` item) as its `revision#` item."""
    was = loaded_at_of(old)
    return {"pk": revision_pk(region), "sk": f"{old['sk']}#{was}", "date": old["sk"],
            **{k: old[k] for k in ROW_FIELDS[1:] if old.get(k) is not None}, "run_id": old.get("run_id"),
            "loaded_at": was, "superseded_at": loaded_at, "superseded_by": run_id}


def changes(dataset: Dataset, rows: Rows, catalogue: Mapping[str, Region], run_id: str, loaded_at: str) -> Changes:
    """Diff every region of `dataset` against `rows` (the table's current rows, by region and date)."""
    out = Changes(rows={region: dict(dates) for region, dates in rows.items()})
    for region, records in dataset.series.items():
        current = out.rows.setdefault(region, {})
        d = diff(current, records, run_id)
        for row in d.writes:
            date = row["date"]
            item = current_item(region, row, run_id, loaded_at)
            group = [item]
            old = current.get(date)
            if old is not None and old.get("run_id") != run_id and values(old) != values(row):
                group.append(revision_item(region, {**old, "sk": date}, run_id, loaded_at))
            out.groups.append(group)
            current[date] = {k: v for k, v in item.items() if k not in ("pk", "sk")}
        out.counts[region] = RegionLoad(len(d.inserted), len(d.updated), d.unchanged, len(current), d.kept)
    out.catalogue, out.warnings = described(dataset, out.rows, catalogue)
    return out


def described(dataset: Dataset, rows: Rows, old: Mapping[str, Region]) -> tuple[dict[str, Region], list[str]]:
    """The catalogue after the load (every region the table holds rows of), and its warnings."""
    catalogue: dict[str, Region] = {}
    warnings = []
    for region in sorted(set(old) | set(dataset.regions)):
        before, now = old.get(region), dataset.regions.get(region)
        if now is None:
            assert before is not None
            warnings.append(f"region {region} ({before.get('name')!r}) is no longer in the JHU file; its rows are kept")
            entry = dict(before)
        elif not dataset.described:
            entry = {**now, **(before or {})}
        else:
            if before is not None and before.get("name") != now.get("name"):
                warnings.append(f"region {region} renamed from {before.get('name')!r} to {now.get('name')!r}")
            entry = dict(now)
        dates = sorted(rows.get(region, {}))
        entry.update(first_date=dates[0] if dates else None, last_date=dates[-1] if dates else None, rows=len(dates))
        catalogue[region] = entry
    return catalogue, warnings


def top(counts: Mapping[str, RegionLoad], catalogue: Mapping[str, Region], n: int = 5) -> list[dict[str, object]]:
    """The `n` regions with most changed rows (ties by id), those that changed any."""
    ranked = sorted((r for r in counts if counts[r].changed), key=lambda r: (-counts[r].changed, r))[:n]
    return [{"region": r, "name": str(catalogue.get(r, {}).get("name", r)), "inserted": counts[r].inserted,
             "updated": counts[r].updated} for r in ranked]


def totals(counts: Mapping[str, RegionLoad], rows: Rows) -> dict[str, int]:
    """Every region's counts (`shared.messages.LoadCounts`): rows held by every region the table has."""
    return {"inserted": sum(c.inserted for c in counts.values()), "updated": sum(c.updated for c in counts.values()),
            "unchanged": sum(c.unchanged for c in counts.values()),
            "rows_total": sum(len(dates) for dates in rows.values()), "regions": sum(1 for d in rows.values() if d)}

