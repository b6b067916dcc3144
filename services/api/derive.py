"""The pure core of the read API: derived daily values and the summary, from plain rows.

No boto3, no Flask, no clock: every function takes rows (`shared.daily.DailyRow`) and returns new
dicts, so the unit tests and the real-data check call them directly. The values derived from each
count (`shared.daily.COUNTS`) are `Day`'s `new_<count>`, `new_<count>_avg7` and `<count>_per_100k`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TypedDict, cast

from shared.daily import COUNTS, ROW_FIELDS, VALUES, DailyRow, Day
from shared.ledger import DatasetVersion, LoadedSource

WINDOW = 7
PER = 100_000  # the per-capita figures are per this many people


class Summary(TypedDict):
    """What `/api/v1/summary` says (the route adds the credit line)."""

    date: str
    totals: dict[str, object]  # the row's values (`shared.daily.VALUES`) on the latest day
    recovered_last_reported: str | None
    new: dict[str, object]  # by count (`shared.daily.COUNTS`)
    avg7: dict[str, object]
    week_change: dict[str, dict[str, float | None]]
    sources: list[dict[str, object]]
    dataset: dict[str, object]


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def _delta(today: Mapping[str, object], before: Mapping[str, object] | None, field: str) -> int | None:
    # Unknown when the day before is missing (first day of the series, or a gap in it):
    # reporting the cumulative count as "new" would show a spike that never happened.
    if before is None:
        return None
    now, then = today.get(field), before.get(field)
    if not isinstance(now, int | float) or not isinstance(then, int | float):
        return None
    return int(now) - int(then)


def _mean(values: list[int | None]) -> float | None:
    """The unrounded mean of a full window of known values, else None."""
    if len(values) < WINDOW or any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None) / WINDOW


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def per_100k(mean: float | None, population: int | None) -> float | None:
    """A mean of new counts per 100,000 people, unrounded; None without a population."""
    if mean is None or not population:
        return None
    return mean * PER / population


def with_derived(rows: Sequence[DailyRow], population: int | None = None) -> list[Day]:
    """Each row plus each count's new value, its trailing 7-day average and that average per 100,000
    people (`population`; None: null), sorted by date.

    Computed over the whole series, so a range cut later keeps the values of its first days, and from
    unrounded means: only the served values are rounded (to 2 places).
    Negative new counts (a source revising its total down) are kept as reported.
    """
    ordered = sorted(rows, key=lambda r: r["date"])
    by_date: dict[str, Mapping[str, object]] = {r["date"]: r for r in ordered}
    out: list[Day] = []
    recent: dict[str, list[int | None]] = {f: [] for f in COUNTS}
    previous_date: str | None = None
    for row in ordered:
        day = row["date"]
        before = by_date.get(_day_before(day))
        if previous_date is not None and before is None:
            recent = {f: [] for f in COUNTS}  # a gap restarts the window
        fields: Mapping[str, object] = row
        item = {name: fields.get(name) for name in ROW_FIELDS}
        for field in COUNTS:
            new = _delta(fields, before, field)
            recent[field] = (recent[field] + [new])[-WINDOW:]
            item[f"new_{field}"] = new
        means = {field: _mean(recent[field]) for field in COUNTS}
        for field in COUNTS:  # the keys in `Day`'s order: the averages, then the per-100k figures
            item[f"new_{field}_avg7"] = _round(means[field])
        for field in COUNTS:
            item[f"{field}_per_100k"] = _round(per_100k(means[field], population))
        out.append(cast(Day, item))
        previous_date = day
    return out


def in_range(rows: list[Day], start: str | None, end: str | None) -> list[Day]:
    """The rows with start <= date <= end (ISO dates compare as strings)."""
    return [r for r in rows if (start is None or r["date"] >= start) and (end is None or r["date"] <= end)]


def _change(now: float | None, before: float | None) -> dict[str, float | None]:
    pct = None
    if now is not None and before is not None and before != 0:
        pct = round((now - before) / before * 100, 1)
    return {"avg7": now, "avg7_week_before": before, "change_pct": pct}


def summary(derived: list[Day], sources: Mapping[str, LoadedSource], dataset: DatasetVersion | None
            ) -> Summary | None:
    """Latest day, totals, last day's new counts and averages, the week-on-week change, freshness."""
    if not derived:
        return None
    last: Mapping[str, object] = derived[-1]
    week_before: Mapping[str, object] = {r["date"]: r for r in derived}.get(
        (date.fromisoformat(derived[-1]["date"]) - timedelta(days=WINDOW)).isoformat(), {})
    reported = [r["date"] for r in derived if r.get("recovered") is not None]
    found: Mapping[str, object] = dataset or {}
    return {
        "date": derived[-1]["date"],
        "totals": {k: last[k] for k in VALUES},
        "recovered_last_reported": reported[-1] if reported else None,
        "new": {f: last[f"new_{f}"] for f in COUNTS},
        "avg7": {f: last[f"new_{f}_avg7"] for f in COUNTS},
        "week_change": {f: _change(_number(last, f"new_{f}_avg7"), _number(week_before, f"new_{f}_avg7"))
                        for f in COUNTS},
        "sources": [{"name": name, "last_date": s.get("last_date"), "loaded_at": s.get("loaded_at"),
                     "url": s.get("url")} for name, s in sorted(sources.items())],
        "dataset": {k: found.get(k) for k in ("version", "rows_total", "first_date", "last_date", "loaded_at")},
    }


def _number(row: Mapping[str, object], field: str) -> float | None:
    value = row.get(field)
    return value if isinstance(value, int | float) else None
