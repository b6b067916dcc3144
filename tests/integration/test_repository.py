"""SeriesRepository against DynamoDB on the emulator: batches of 25, retries, exact counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from services.loader.diff import diff
from services.loader.repository import SeriesRepository
from shared import aws


def rows(n: int, start: date = date(2020, 3, 1), bump: int = 0) -> list[dict[str, Any]]:
    return [{"date": (start + timedelta(days=i)).isoformat(), "cases": 10 * i + bump, "deaths": i,
             "recovered": None if i % 7 == 3 else 2 * i} for i in range(n)]


def values(current: dict[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(d, r["cases"], r["deaths"], r.get("recovered")) for d, r in sorted(current.items())]


@pytest.fixture
def repo(provisioned: dict[str, str]) -> SeriesRepository:
    return SeriesRepository(provisioned["COVID_ETL_TABLE"])


def test_more_than_25_rows_are_written_and_read_back_exactly(repo: SeriesRepository) -> None:
    data = rows(83)
    repo.write(data, "run-1")
    current = repo.current()
    assert values(current) == [(r["date"], r["cases"], r["deaths"], r["recovered"]) for r in data]
    assert all(type(r["cases"]) is int and r["run_id"] == "run-1" for r in current.values())
    assert "recovered" not in current["2020-03-04"]  # null is stored as an absent attribute


def test_reading_pages_through_a_large_series(repo: SeriesRepository) -> None:
    # a Query page holds 1 MB at most: rows with a long padding attribute need several pages
    data = rows(400)
    repo.write(data, "run-1")
    table = aws.resource("dynamodb").Table(repo.table_name)
    with table.batch_writer() as batch:
        for r in data:
            batch.put_item(Item={"pk": "series#US", "sk": r["date"], "date": r["date"], "cases": r["cases"],
                                 "deaths": r["deaths"], "padding": "x" * 4000})
    assert len(repo.current()) == 400


def test_diff_over_the_table_gives_exact_counts_and_writes_only_changes(repo: SeriesRepository) -> None:
    repo.write(rows(40), "run-1")
    new = rows(40, bump=0)[:30] + [dict(r, cases=r["cases"] + 1) for r in rows(40)[30:]] + rows(10, date(2020, 4, 10))
    changes = diff(repo.current(), new)
    assert (len(changes.inserted), len(changes.updated), changes.unchanged) == (10, 10, 30)
    repo.write(changes.writes, "run-2")
    after = repo.current()
    assert len(after) == 50
    assert sum(1 for r in after.values() if r["run_id"] == "run-2") == 20
    assert diff(after, new).writes == []


class Throttling:
    """The real client, except that batch writes leave some items unprocessed the first times."""

    def __init__(self, client: Any, times: int) -> None:
        self.client, self.times, self.calls = client, times, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        [(table, requests)] = RequestItems.items()
        if self.times > 0:
            self.times -= 1
            self.client.batch_write_item(RequestItems={table: requests[:5]})
            return {"UnprocessedItems": {table: requests[5:]}}
        return self.client.batch_write_item(RequestItems=RequestItems)


def test_unprocessed_items_are_retried_until_written(provisioned: dict[str, str]) -> None:
    client = Throttling(aws.client("dynamodb"), times=3)
    repo = SeriesRepository(provisioned["COVID_ETL_TABLE"], client=client)
    repo.write(rows(30), "run-1")
    assert len(repo.current()) == 30
    assert client.calls == 5  # 25 rows: 3 partial writes and the rest, then 5 rows at once


def test_unprocessed_items_give_up_after_max_attempts(provisioned: dict[str, str]) -> None:
    repo = SeriesRepository(provisioned["COVID_ETL_TABLE"], client=Throttling(aws.client("dynamodb"), 99),
                            max_attempts=3)
    with pytest.raises(RuntimeError, match="unprocessed after 3 attempts"):
        repo.write(rows(30), "run-1")


def committed(repo: SeriesRepository) -> dict[str, Any]:
    from shared.ledger import RunLedger

    return RunLedger(repo.table_name).dataset_version() or {}


def load(repo: SeriesRepository, data: list[dict[str, Any]], run_id: str) -> None:
    """What the loader does: read, diff, write, commit."""
    changes = diff(repo.current(committed(repo)), data)
    repo.write(changes.writes, run_id)
    repo.commit_versions([], {"version": run_id, "rows_total": len(data)})


def test_a_warm_loader_diffs_against_its_own_commit_without_reading_the_table(repo: SeriesRepository) -> None:
    load(repo, rows(30), "run-1")
    hidden = aws.client("dynamodb")  # a row changed behind the loader's back: a read would see it
    hidden.delete_item(TableName=repo.table_name, Key={"pk": {"S": "series#US"}, "sk": {"S": "2020-03-05"}})
    assert len(repo.current(committed(repo))) == 30  # the kept copy, nothing read
    assert len(repo.current({"version": "another run"})) == 29  # another commit: read
    assert len(repo.current(None)) == 29


def test_the_kept_copy_is_dropped_once_any_loader_begins_writing(repo: SeriesRepository) -> None:
    load(repo, rows(30), "run-1")
    other = SeriesRepository(repo.table_name)  # a second loader (a concurrent Lambda) writes, then dies
    other.write([dict(rows(30)[0], cases=999)], "run-2")
    assert "writing" in committed(repo)
    assert repo.current(committed(repo))["2020-03-01"]["cases"] == 999  # read, not the stale copy
    load(repo, rows(31), "run-3")  # a commit clears the mark and keeps the new copy
    assert "writing" not in committed(repo)
    assert values(repo.current(committed(repo))) == values(other.current())
