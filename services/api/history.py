"""A region's series as the table held it at an instant, and a date's values over time: pure functions
of the `series#` and `revision#` items (docs/regions.md, "The table").

No boto3, no Flask, no clock. The reconstruction itself is `shared.history.as_of`, which the loader's
tests read the table with too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from services.api.store import RevisionRow, StoredRow
from shared.history import as_of, instant

__all__ = ["as_of", "first_loaded", "instant", "parse_instant", "values_of"]

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
