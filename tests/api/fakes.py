"""An in-memory Store for the API's unit tests: same behaviour as DynamoStore, no sockets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.daily import DailyRow
from shared.ledger import DatasetVersion, LoadedSource
from shared.runs import Run, RunStatus, StageRecord
from shared.topology import STAGES


def series(days: int, start: str = "2020-03-01", recovered_until: int | None = None) -> list[DailyRow]:
    """`days` days with cases growing by 10*i per day and deaths by i; recovered null from day `recovered_until`."""
    first = date.fromisoformat(start)
    rows: list[DailyRow] = []
    cases, deaths = 0, 0
    for i in range(days):
        cases += 10 * (i + 1)
        deaths += i + 1
        recovered = None if recovered_until is not None and i >= recovered_until else 3 * i
        rows.append({"date": (first + timedelta(days=i)).isoformat(), "cases": cases, "deaths": deaths,
                     "recovered": recovered})
    return rows


def run(run_id: str, status: RunStatus = "succeeded", **extra: Any) -> Run:
    stages = {s: StageRecord(status="succeeded", started_at="2026-11-28T17:55:35.000+00:00",
                             finished_at="2026-11-28T17:55:36.000+00:00", duration_ms=1000) for s in STAGES}
    return Run.model_validate({
        "run_id": run_id, "status": status, "trigger": "cli", "started_at": "2026-11-28T17:55:35.000+00:00",
        "stages": stages, "inserted": 3, "updated": 1, "unchanged": 10, "rows_total": 14, "warnings": [], **extra})


class FakeStore:
    """Rows, sources, runs and a dataset version held in memory; counts the calls it gets."""

    def __init__(self, rows: list[DailyRow] | None = None, version: str | None = "run-1") -> None:
        self.rows = list(rows or [])
        self.version = version
        self.source_items: dict[str, LoadedSource] = {
            name: {"name": name, "last_date": last, "url": f"http://{name}", "loaded_at": "t",
                   "key": f"raw/{name}/a.csv", "sha256": "a", "bytes": 1, "changed": True}
            for name, last in (("jhu", "2020-03-20"), ("nyt", "2020-03-21"))}
        self.run_items: list[Run] = []
        self.calls: dict[str, int] = {}
        self.down = False

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if self.down:
            raise ConnectionError("the table cannot be reached")

    def load(self, rows: list[DailyRow], version: str) -> None:
        """What the loader does: replace the rows, then commit a new version."""
        self.rows, self.version = list(rows), version

    def dataset_version(self) -> DatasetVersion | None:
        self._count("dataset_version")
        if self.version is None:
            return None
        dates = sorted(r["date"] for r in self.rows)
        return {"version": self.version, "rows_total": len(dates), "first_date": dates[0] if dates else None,
                "last_date": dates[-1] if dates else None, "loaded_at": "2026-11-28T17:55:40.000+00:00"}

    def daily(self) -> list[DailyRow]:
        self._count("daily")
        return [r.copy() for r in self.rows]

    def sources(self) -> dict[str, LoadedSource]:
        self._count("sources")
        return dict(self.source_items)

    def runs(self, limit: int) -> list[Run]:
        self._count("runs")
        return sorted(self.run_items, key=lambda r: r.run_id, reverse=True)[:limit]

    def run(self, run_id: str) -> Run | None:
        self._count("run")
        return next((r for r in self.run_items if r.run_id == run_id), None)

    def ping(self) -> None:
        self._count("ping")
