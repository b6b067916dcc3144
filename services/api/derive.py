"""The pure core of the read API: derived daily values and the summary, from plain rows.

No boto3, no Flask, no clock: every function takes rows (dicts with date, cases, deaths,
recovered) and returns new dicts, so the unit tests and the real-data check call them directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Literal

from shared.runs import DailyRow

Row = dict[str, Any]
WINDOW = 7
COUNTS: tuple[Literal["cases", "deaths"], ...] = ("cases", "deaths")


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def _delta(today: DailyRow, before: DailyRow | None, field: Literal["cases", "deaths"]) -> int | None:
    # Unknown when the day before is missing (first day of the series, or a gap in it):
    # reporting the cumulative count as "new" would show a spike that never happened.
    if before is None or today.get(field) is None or before.get(field) is None:
        return None
    return int(today[field]) - int(before[field])


def _avg(values: list[int | None]) -> float | None:
    if len(values) < WINDOW or any(v is None for v in values):
        return None
    return round(sum(v for v in values if v is not None) / WINDOW, 2)


def with_derived(rows: Sequence[DailyRow]) -> list[Row]:
    """Each row plus new_cases, new_deaths and their trailing 7-day averages, sorted by date.

    Computed over the whole series, so a range cut later keeps the values of its first days.
    Negative new counts (a source revising its total down) are kept as reported.
    """
    ordered = sorted(rows, key=lambda r: r["date"])
    by_date = {r["date"]: r for r in ordered}
    out: list[Row] = []
    recent: dict[str, list[int | None]] = {"cases": [], "deaths": []}
    previous_date: str | None = None
    for row in ordered:
        before = by_date.get(_day_before(row["date"]))
        if previous_date is not None and before is None:
            recent = {"cases": [], "deaths": []}  # a gap restarts the window
        item: Row = {"date": row["date"], "cases": row.get("cases"), "deaths": row.get("deaths"),
                     "recovered": row.get("recovered")}
        for field in COUNTS:
            new = _delta(row, before, field)
            recent[field] = (recent[field] + [new])[-WINDOW:]
            item[f"new_{field}"] = new
        for field in ("cases", "deaths"):
            item[f"new_{field}_avg7"] = _avg(recent[field])
        out.append(item)
        previous_date = row["date"]
    return out


def in_range(rows: list[Row], start: str | None, end: str | None) -> list[Row]:
    """The rows with start <= date <= end (ISO dates compare as strings)."""
    return [r for r in rows if (start is None or r["date"] >= start) and (end is None or r["date"] <= end)]


def _change(now: float | None, before: float | None) -> dict[str, Any]:
    pct = None
    if now is not None and before not in (None, 0):
        pct = round((now - before) / before * 100, 1)  # type: ignore[operator]
    return {"avg7": now, "avg7_week_before": before, "change_pct": pct}


def summary(derived: list[Row], sources: dict[str, Row], dataset: Row | None) -> Row | None:
    """Latest day, totals, last day's new counts and averages, the week-on-week change, freshness."""
    if not derived:
        return None
    last = derived[-1]
    week_before = {r["date"]: r for r in derived}.get(
        (date.fromisoformat(last["date"]) - timedelta(days=WINDOW)).isoformat(), {})
    reported = [r["date"] for r in derived if r.get("recovered") is not None]
    return {
        "date": last["date"],
        "totals": {k: last[k] for k in ("cases", "deaths", "recovered")},
        "recovered_last_reported": reported[-1] if reported else None,
        "new": {"cases": last["new_cases"], "deaths": last["new_deaths"]},
        "avg7": {"cases": last["new_cases_avg7"], "deaths": last["new_deaths_avg7"]},
        "week_change": {f: _change(last[f"new_{f}_avg7"], week_before.get(f"new_{f}_avg7"))
                        for f in ("cases", "deaths")},
        "sources": [{"name": name, "last_date": s.get("last_date"), "loaded_at": s.get("loaded_at"),
                     "url": s.get("url")} for name, s in sorted(sources.items())],
        "dataset": {k: (dataset or {}).get(k) for k in ("version", "rows_total", "first_date",
                                                          "last_date", "loaded_at")},
    }
