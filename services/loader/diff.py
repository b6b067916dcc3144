"""The pure write-diff: which rows are new, which changed, how many are unchanged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]
VALUES = ("cases", "deaths", "recovered")


@dataclass
class Diff:
    inserted: list[Row] = field(default_factory=list)
    updated: list[Row] = field(default_factory=list)
    unchanged: int = 0
    kept: list[str] = field(default_factory=list)  # dates in the table that the dataset no longer has

    @property
    def writes(self) -> list[Row]:
        return self.inserted + self.updated


def values(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(k) for k in VALUES)


def diff(current: Mapping[str, Mapping[str, Any]], records: Iterable[Row]) -> Diff:
    """Compare the dataset with the table's rows (by date); an unchanged row needs no write."""
    out = Diff()
    seen = set()
    for record in records:
        seen.add(record["date"])
        old = current.get(record["date"])
        if old is None:
            out.inserted.append(record)
        elif values(old) != values(record):
            out.updated.append(record)
        else:
            out.unchanged += 1
    out.kept = sorted(set(current) - seen)
    return out
