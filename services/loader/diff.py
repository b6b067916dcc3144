"""The pure write-diff: which rows are new, which changed, how many are unchanged.

Each row in the table carries the run that last wrote it (`run_id`) and the run that first wrote it
(`first_run`). A load that died between two of its transactions is retried with the same run id;
its retry finds the rows its first try wrote, and counts them as that try would have: inserted
when this run first wrote them, updated otherwise, and does not write them again. So a retried
load's counts are those of one clean load, with nothing kept between the tries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.daily import VALUES, DailyRow

Stored = Mapping[str, object]  # a row's item as the table holds it (`shared.daily.to_item`)


class RowWrite(DailyRow, total=False):
    """A row to write, with the run that first wrote it (absent: the writing run)."""

    first_run: str | None


@dataclass
class Diff:
    inserted: list[RowWrite] = field(default_factory=list)  # each with the `first_run` to store
    updated: list[RowWrite] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # dates in the table that the dataset no longer has
    written: set[str] = field(default_factory=set)  # dates counted above that this run wrote already

    @property
    def writes(self) -> list[RowWrite]:
        return [row for row in self.inserted + self.updated if row["date"] not in self.written]


def values(row: Mapping[str, object]) -> tuple[object, ...]:
    """What a load compares: the row's values (`shared.daily.VALUES`), an absent one null."""
    return tuple(row.get(k) for k in VALUES)


def diff(current: Mapping[str, Stored], records: Iterable[DailyRow], run_id: str | None = None) -> Diff:
    """Compare the dataset with the table's rows (by date); an unchanged row needs no write. `run_id`:
    the loading run, whose own rows (an earlier try's) are counted as that try wrote them."""
    out = Diff()
    seen = set()
    for record in records:
        seen.add(record["date"])
        old = current.get(record["date"])
        if old is None:
            out.inserted.append({**record, "first_run": run_id})
            continue
        first = old.get("first_run", old.get("run_id"))  # (rows from before `first_run`: their writer)
        row: RowWrite = {**record, "first_run": None if first is None else str(first)}
        mine = run_id is not None and old.get("run_id") == run_id
        if mine and first == run_id:
            out.inserted.append(row)
        elif mine or values(old) != values(record):
            out.updated.append(row)
        else:
            out.unchanged += 1
            continue
        if mine and values(old) == values(record):
            out.written.add(record["date"])
    out.kept = sorted(set(current) - seen)
    return out
