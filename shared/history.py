"""A region's series as the table held it at an instant, from the items the loader writes (docs/regions.md).

Pure, so that the API and the tests reconstruct history the same way: a date's value at `T` is its
`series#` item when that item's `loaded_at <= T`, else its `revision#` item with
`loaded_at <= T < superseded_at`; a date with neither did not exist yet. Instants are compared as
`datetime`s, so that `...Z` and `...+00:00` spellings agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from shared.daily import DailyRow, from_item


def instant(text: object) -> datetime:
    """An ISO-8601 instant as stored (`2021-03-17T06:00:00.123+00:00` or `...Z`)."""
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def loaded_at(item: Mapping[str, object]) -> datetime:
    """When an item's value was loaded (rows written before `loaded_at` was kept: their write's `updated_at`)."""
    return instant(item.get("loaded_at") or item["updated_at"])


def as_of(current_items: Iterable[Mapping[str, object]], revision_items: Iterable[Mapping[str, object]],
          at: datetime) -> list[DailyRow]:
    """The rows (sorted by date) that a region's `series#` and `revision#` items say it had at instant `at`."""
    rows: dict[str, DailyRow] = {}
    for item in current_items:
        if loaded_at(item) <= at:
            rows[str(item["sk"])] = {**from_item(item), "date": str(item["sk"])}
    for item in revision_items:
        date = str(item["sk"]).split("#", 1)[0]
        if date not in rows and loaded_at(item) <= at < instant(item["superseded_at"]):
            rows[date] = {**from_item(item), "date": date}
    return [rows[d] for d in sorted(rows)]
