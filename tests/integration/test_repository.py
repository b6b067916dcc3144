"""SeriesRepository against DynamoDB on the emulator: fenced transactions, paging, exact counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from services.loader.diff import diff
from services.loader.repository import SeriesRepository
from shared.ledger import RunLedger
from shared.lock import Fence, Lease


def rows(n: int, start: date = date(2020, 3, 1), bump: int = 0) -> list[dict[str, Any]]:
    return [{"date": (start + timedelta(days=i)).isoformat(), "cases": 10 * i + bump, "deaths": i,
             "recovered": None if i % 7 == 3 else 2 * i} for i in range(n)]


def values(current: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(d, r["cases"], r["deaths"], r.get("recovered")) for d, r in sorted(current.items())]


@pytest.fixture
def repo(provisioned: dict[str, str]) -> SeriesRepository:
    return SeriesRepository(provisioned["COVID_ETL_TABLE"])


@pytest.fixture
def fence(provisioned: dict[str, str]) -> Iterator[Fence]:
    with RunLedger(provisioned["COVID_ETL_TABLE"]).lock("load", "test") as held:
        yield held


def test_more_than_one_transaction_of_rows_is_written_and_read_back_exactly(repo: SeriesRepository,
                                                                          fence: Fence) -> None:
    data = rows(230)
    repo.write(data, "run-1", fence)
    current = repo.current()
    assert values(current) == [(r["date"], r["cases"], r["deaths"], r["recovered"]) for r in data]
    assert all(type(r["cases"]) is int and r["run_id"] == "run-1" for r in current.values())
    assert "recovered" not in current["2020-03-04"]  # null is stored as an absent attribute


def test_reading_pages_through_a_large_series(repo: SeriesRepository) -> None:
    # a Query page holds 1 MB at most: rows with a long padding attribute need several pages
    for r in rows(400):
        repo.table.put({"pk": "series#US", "sk": r["date"], "date": r["date"], "cases": r["cases"],
                        "deaths": r["deaths"], "padding": "x" * 4000})
    assert len(repo.current()) == 400


def test_diff_over_the_table_gives_exact_counts_and_writes_only_changes(repo: SeriesRepository,
                                                                        fence: Fence) -> None:
    repo.write(rows(40), "run-1", fence)
    new = rows(40, bump=0)[:30] + [dict(r, cases=r["cases"] + 1) for r in rows(40)[30:]] + rows(10, date(2020, 4, 10))
    changes = diff(repo.current(), new)
    assert (len(changes.inserted), len(changes.updated), changes.unchanged) == (10, 10, 30)
    repo.write(changes.writes, "run-2", fence)
    after = repo.current()
    assert len(after) == 50
    assert sum(1 for r in after.values() if r["run_id"] == "run-2") == 20
    assert diff(after, new).writes == []


def committed(repo: SeriesRepository) -> dict[str, Any]:
    return RunLedger(repo.table.name).dataset_version() or {}


def load(repo: SeriesRepository, data: list[dict[str, Any]], run_id: str) -> None:
    """What the loader does: read, diff, write, commit, under the load lock."""
    with RunLedger(repo.table.name).lock("load", run_id) as fence:
        changes = diff(repo.current(committed(repo)), data)
        repo.write(changes.writes, run_id, fence)
        repo.commit_versions([], {"version": run_id, "rows_total": len(data)}, fence)


def test_a_warm_loader_diffs_against_its_own_commit_without_reading_the_table(repo: SeriesRepository) -> None:
    load(repo, rows(30), "run-1")
    hidden = repo.table.client  # a row changed behind the loader's back: a read would see it
    hidden.delete_item(TableName=repo.table.name, Key={"pk": {"S": "series#US"}, "sk": {"S": "2020-03-05"}})
    assert len(repo.current(committed(repo))) == 30  # the kept copy, nothing read
    assert len(repo.current({"version": "another run"})) == 29  # another commit: read
    assert len(repo.current(None)) == 29


def test_the_kept_copy_is_dropped_once_any_loader_begins_writing(repo: SeriesRepository) -> None:
    load(repo, rows(30), "run-1")
    other = SeriesRepository(repo.table.name)  # a second loader (a concurrent Lambda) writes, then dies
    with RunLedger(repo.table.name).lock("load", "run-2") as fence:
        other.write([dict(rows(30)[0], cases=999)], "run-2", fence)
    assert "writing" in committed(repo)
    assert repo.current(committed(repo))["2020-03-01"]["cases"] == 999  # read, not the stale copy
    load(repo, rows(31), "run-3")  # a commit clears the mark and keeps the new copy
    assert "writing" not in committed(repo)
    assert values(repo.current(committed(repo))) == values(other.current())


@pytest.mark.parametrize(("n", "transactions"), [(5, 1), (97, 1), (98, 2), (198, 3), (230, 3)])
def test_a_load_commits_with_its_last_rows_and_gives_the_lock_up_in_that_transaction(
        repo: SeriesRepository, n: int, transactions: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """100 actions per transaction: the fence (or the release) and 99 writes; 1 source and the dataset."""
    made: list[list[Any]] = []
    transact, released = repo.table.transact, []

    def recorded(actions: Any) -> None:
        made.append(list(actions))
        transact(actions)

    monkeypatch.setattr(repo.table, "transact", recorded)
    monkeypatch.setattr(Lease, "release", lambda self: released.append(self))
    ledger, data = RunLedger(repo.table.name), rows(n)
    with ledger.lock("load", "run-1") as fence:
        repo.current(committed(repo))
        repo.load(data, [{"name": "nyt", "last_date": data[-1]["date"]}], {"version": "run-1", "rows_total": n}, fence)
    assert values(repo.current()) == [(r["date"], r["cases"], r["deaths"], r["recovered"]) for r in data]
    assert committed(repo)["version"] == "run-1" and released == []  # no request after the commit
    assert len(made) == transactions and all(len(t) <= 100 for t in made)
    last = made[-1]
    assert "Update" in last[0] and "REMOVE" in last[0]["Update"]["UpdateExpression"]  # the release
    assert last[-1]["Put"]["Item"]["sk"] == {"S": "dataset"}  # ... with the commit
    assert all("ConditionCheck" in t[0] for t in made[:-1])
    with ledger.lock("load", "next", wait_s=0):
        pass  # free at once
