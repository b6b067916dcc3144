"""SeriesRepository against DynamoDB on the emulator: fenced transactions, paging, exact counts, a retried load."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import pytest

from services.loader import handler as loader
from services.loader.diff import RowWrite, diff
from services.loader.repository import SeriesRepository
from shared.blobs import BlobStore, MemoryBlobStore, sha256_hex
from shared.ledger import DatasetVersion, RunLedger
from shared.lock import Fence
from shared.messages import DatasetTransformedV1
from shared.queues import MemoryPublisher


def rows(n: int, start: date = date(2020, 3, 1), bump: int = 0) -> list[RowWrite]:
    return [{"date": (start + timedelta(days=i)).isoformat(), "cases": 10 * i + bump, "deaths": i,
             "recovered": None if i % 7 == 3 else 2 * i} for i in range(n)]


def bumped(row: RowWrite) -> RowWrite:
    return {**row, "cases": row["cases"] + 1}


def values(current: Mapping[str, Mapping[str, object]]) -> list[tuple[object, ...]]:
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
    new = rows(40, bump=0)[:30] + [bumped(r) for r in rows(40)[30:]] + rows(10, date(2020, 4, 10))
    changes = diff(repo.current(), new)
    assert (len(changes.inserted), len(changes.updated), changes.unchanged) == (10, 10, 30)
    repo.write(changes.writes, "run-2", fence)
    after = repo.current()
    assert len(after) == 50
    assert sum(1 for r in after.values() if r["run_id"] == "run-2") == 20
    assert diff(after, new).writes == []


def committed(repo: SeriesRepository) -> DatasetVersion:
    found = RunLedger(repo.table.name).dataset_version()
    assert found is not None
    return found


@pytest.mark.parametrize("n", [5, 97, 98, 230])
def test_a_load_writes_its_rows_commits_and_gives_the_lock_up(repo: SeriesRepository, n: int) -> None:
    ledger, data = RunLedger(repo.table.name), rows(n)
    with ledger.lock("load", "run-1") as fence:
        repo.load(data, [{"name": "nyt", "last_date": data[-1]["date"]}],
                  {"version": "run-1", "rows_total": n, "first_date": data[0]["date"], "last_date": data[-1]["date"]},
                  fence)
    assert values(repo.current()) == [(r["date"], r["cases"], r["deaths"], r["recovered"]) for r in data]
    assert committed(repo)["version"] == "run-1" and ledger.source_versions()["nyt"]["last_date"] == data[-1]["date"]
    with ledger.lock("load", "next", wait_s=0):
        pass  # free at once


class Killed(Exception):
    pass


def transformed(blobs: BlobStore, data: list[RowWrite]) -> tuple[DatasetTransformedV1, bytes]:
    body = json.dumps({"records": data}).encode()
    blobs.put(f"datasets/{sha256_hex(body)}.json", body)
    return DatasetTransformedV1(key=f"datasets/{sha256_hex(body)}.json", sha256=sha256_hex(body), rows=len(data),
                                first_date=data[0]["date"], last_date=data[-1]["date"], join_policy="inner",
                                sources=[]), body


@pytest.mark.parametrize("dies_after", [1, 2])
def test_a_load_killed_between_its_transactions_then_retried_counts_like_one_clean_load(
        provisioned: dict[str, str], monkeypatch: pytest.MonkeyPatch, dies_after: int) -> None:
    """10 actions per transaction (DynamoDB Local 1.x's limit): 10 inserts and 10 updates take three."""
    repo, table = SeriesRepository(provisioned["COVID_ETL_TABLE"], per_transaction=10), provisioned["COVID_ETL_TABLE"]
    deps = loader.Deps(ledger=RunLedger(table), publisher=MemoryPublisher(), blobs=MemoryBlobStore(), series=repo)
    first, body = transformed(deps.blobs, rows(30))
    with deps.ledger.lock("load", "r1") as fence:
        loader.load(first, body, "r1", fence, deps)
    second, body = transformed(deps.blobs, rows(20) + [bumped(r) for r in rows(30)[20:]]
                               + rows(10, date(2020, 3, 31)))
    transact, made = repo.table.transact, list[int]()

    def dies(actions: Any) -> None:
        if len(made) == dies_after:
            raise Killed
        made.append(1)
        transact(actions)

    monkeypatch.setattr(repo.table, "transact", dies)
    with pytest.raises(Killed), deps.ledger.lock("load", "r2") as fence:
        loader.load(second, body, "r2", fence, deps)
    assert any(r["run_id"] == "r2" for r in repo.current().values()) and committed(repo)["version"] == "r1"
    monkeypatch.setattr(repo.table, "transact", transact)
    with deps.ledger.lock("load", "r2, again", wait_s=0) as fence:
        again = loader.load(second, body, "r2", fence, deps)
    assert {k: again.found[k] for k in ("inserted", "updated", "unchanged", "rows_total")} == {
        "inserted": 10, "updated": 10, "unchanged": 20, "rows_total": 40}
    assert committed(repo)["version"] == "r2" and len(repo.current()) == 40
