"""A region's series as the table held it at an instant, from the items the loader writes (docs/regions.md).

Pure, so that the API and the tests reconstruct history the same way: a date's value at `T` is its
`series#` item when that item's `loaded_at <= T`, else its `revision#` item with
`loaded_at <= T < superseded_at`; a date with neither did not exist yet. Instants are compared as
`datetime`s, so that `...Z` and `...+00:00` spellings agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache

from shared.daily import DailyRow, from_item


@lru_cache(maxsize=4096)  # a table holds one loaded_at per run: few distinct strings, parsed once
def _parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def instant(text: object) -> datetime:
    """An ISO-8601 instant as stored (`2021-03-17T06:00:00.123+00:00` or `...Z`)."""
    return _parsed(str(text))


def loaded_at(item: Mapping[str, object]) -> datetime:
    """When an item's value was loaded (rows written before `loaded_at` was kept: their write's `updated_at`)."""
    return instant(item.get("loaded_at") or item["updated_at"])


def _date(item: Mapping[str, object]) -> str:
    """The item's date: its `date` field, else its sort key's (`<date>` or `<date>#<loaded_at>`)."""
    return str(item.get("date") or str(item["sk"]).split("#", 1)[0])


def as_of(current_items: Iterable[Mapping[str, object]], revision_items: Iterable[Mapping[str, object]],
          at: datetime) -> list[DailyRow]:
    """The rows (sorted by date) that a region's `series#` and `revision#` items (as stored, or as the
    API's store reads them) say it had at instant `at`; an item without a load instant is skipped."""
    rows: dict[str, DailyRow] = {}
    for item in current_items:
        if (item.get("loaded_at") or item.get("updated_at")) and loaded_at(item) <= at:
            rows[_date(item)] = {**from_item(item), "date": _date(item)}
    for item in revision_items:
        date = _date(item)
        if date not in rows and loaded_at(item) <= at < instant(item["superseded_at"]):
            rows[date] = {**from_item(item), "date": date}
    return [rows[d] for d in sorted(rows)]
