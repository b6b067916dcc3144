"""A region's series as the table held it at an instant, and a date's values over time: pure functions
of the `series#` and `revision#` items (docs/regions.md, "The table").

No boto3, no Flask, no clock. The loader's helper writes the same reconstruction as
`shared.history` (branch world-load); until the two are unified this one is the API's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from functools import lru_cache

from services.api.store import RevisionRow, StoredRow
from shared.daily import ROW_FIELDS, DailyRow

DAY_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
END_OF_DAY = time(23, 59, 59, 999999)


def parse_instant(value: str) -> datetime:
    """An ISO-8601 instant in UTC; a date alone is its end of day (UTC), a time without an offset is
    taken as UTC. ValueError when malformed."""
    if DAY_ONLY.match(value):
        return datetime.combine(date.fromisoformat(value), END_OF_DAY, UTC)
    if "T" not in value.upper():  # fromisoformat also takes "2020-03-01 10:00"; an instant has its T
        raise ValueError(value)
    found = datetime.fromisoformat(value)
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


@lru_cache(maxsize=4096)  # a table holds one loaded_at per run: few distinct strings, parsed once
def instant(value: str) -> datetime:
    """A `loaded_at` / `superseded_at` as the loader wrote it."""
    return parse_instant(value)


def _row(item: StoredRow | RevisionRow) -> DailyRow:
    return {name: item.get(name) for name in ROW_FIELDS}  # type: ignore[return-value]


def as_of(current: Sequence[StoredRow], revisions: Sequence[RevisionRow], at: datetime) -> list[DailyRow]:
    """Each date's value at `at`: the current item when it was loaded by then, else the revision that
    was the value then (loaded by `at`, superseded after it); a date with neither is absent. Sorted."""
    out: dict[str, DailyRow] = {}
    for item in current:
        if item["loaded_at"] is not None and instant(item["loaded_at"]) <= at:
            out[item["date"]] = _row(item)
    for rev in revisions:
        if rev["date"] not in out and instant(rev["loaded_at"]) <= at < instant(rev["superseded_at"]):
            out[rev["date"]] = _row(rev)
    return [out[d] for d in sorted(out)]


def first_loaded(current: Sequence[StoredRow], revisions: Sequence[RevisionRow]) -> datetime | None:
    """The earliest instant at which the region held any value, or None when it never did."""
    found = [instant(i["loaded_at"]) for i in (*current, *revisions) if i["loaded_at"] is not None]
    return min(found) if found else None


def values_of(day: str, current: Sequence[StoredRow], revisions: Sequence[RevisionRow]
              ) -> list[tuple[StoredRow | RevisionRow, bool]]:
    """Each value `day` has had, oldest first, and whether it is the current one."""
    old = sorted((r for r in revisions if r["date"] == day), key=lambda r: instant(r["loaded_at"]))
    now = [c for c in current if c["date"] == day]
    return [*((r, False) for r in old), *((c, True) for c in now)]
