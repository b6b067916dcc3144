"""An in-memory Store for the API's unit tests: same behaviour as DynamoStore, no sockets."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.api.store import LoadRecord, Region, RevisionRow, StoredRow
from shared.daily import VALUES, DailyRow
from shared.layout import US
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
    """Regions, their current and superseded rows, loads, sources, runs and a dataset version held in
    memory, in the table's layout (docs/regions.md); counts the calls it gets."""

    def __init__(self, rows: list[DailyRow] | None = None, version: str | None = "run-1",
                 loaded_at: str = "2026-11-28T17:55:40.000+00:00") -> None:
        self.version = version
        self.loaded_at = loaded_at
        self.current: dict[str, dict[str, StoredRow]] = {}
        self.superseded: dict[str, list[RevisionRow]] = {}
        self.regions: dict[str, Region] = {}
        self.loads: dict[str, LoadRecord] = {}
        if rows:
            self.commit({US: rows}, version or "run-1", loaded_at, catalogue=False)
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

    @property
    def rows(self) -> list[StoredRow]:
        return sorted(self.current.get(US, {}).values(), key=lambda r: r["date"])

    def load(self, rows: list[DailyRow], version: str) -> None:
        """What the old loader did: replace the US rows, then commit a new version."""
        self.current[US] = {r["date"]: {**r, "loaded_at": self.loaded_at, "run_id": version} for r in rows}
        self.version = version

    def commit(self, series: dict[str, list[DailyRow]], run_id: str, loaded_at: str,
               populations: dict[str, int | None] | None = None, catalogue: bool = True,
               sources: dict[str, str] | None = None) -> None:
        """What the loader does (docs/regions.md): a changed row's old value becomes a revision item
        superseded at `loaded_at`, new and changed rows become current, the catalogue and the load
        item are written, then the version."""
        for region, rows in series.items():
            now = self.current.setdefault(region, {})
            for row in rows:
                old = now.get(row["date"])
                if old is not None and all(old[k] == row[k] for k in VALUES):  # type: ignore[literal-required]
                    continue
                if old is not None:
                    assert old["loaded_at"] is not None
                    self.superseded.setdefault(region, []).append(
                        {**old, "loaded_at": old["loaded_at"], "superseded_at": loaded_at,  # type: ignore[typeddict-item]
                         "superseded_by": run_id})
                now[row["date"]] = {**row, "loaded_at": loaded_at, "run_id": run_id}
            if catalogue:
                dates = sorted(now)
                self.regions[region] = {
                    "name": "United States" if region == US else f"Region {region}", "country": region,
                    "province": None, "level": "country", "population": (populations or {}).get(region),
                    "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None,
                    "sources": ["jhu", "lookup"]}
        self.loads[run_id] = {"loaded_at": loaded_at, "sources": sources or {"jhu": f"sha-{run_id}"}}
        self.version = run_id

    def dataset_version(self) -> DatasetVersion | None:
        self._count("dataset_version")
        if self.version is None:
            return None
        dates = [r["date"] for r in self.rows]
        return {"version": self.version, "rows_total": len(dates), "first_date": dates[0] if dates else None,
                "last_date": dates[-1] if dates else None, "loaded_at": "2026-11-28T17:55:40.000+00:00"}

    def catalogue(self) -> dict[str, Region]:
        self._count("catalogue")
        return {k: dict(v) for k, v in self.regions.items()}  # type: ignore[misc]

    def daily(self, region: str = US) -> list[StoredRow]:
        self._count("daily")
        return [r.copy() for r in sorted(self.current.get(region, {}).values(), key=lambda r: r["date"])]

    def revisions(self, region: str, day: str | None = None) -> list[RevisionRow]:
        self._count("revisions")
        found = [r for r in self.superseded.get(region, []) if day is None or r["date"] == day]
        return sorted(found, key=lambda r: f"{r['date']}#{r['loaded_at']}")

    def load_record(self, run_id: str) -> LoadRecord | None:
        self._count("load")
        return self.loads.get(run_id)

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
