"""SeriesRepository and the loader against DynamoDB and S3 on the emulator: every region of a format-2
dataset loaded twice (revisions, the image, data as of each load), paging, a retried load."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from services.loader import handler as loader
from services.loader.image import decode
from services.loader.repository import SeriesRepository
from shared.blobs import BlobStore, S3BlobStore, sha256_hex
from shared.daily import DailyRow
from shared.history import as_of, instant
from shared.ledger import DatasetVersion, RunLedger
from shared.messages import DatasetLoadedV1, DatasetTransformedV1
from shared.queues import MemoryPublisher

REGIONS = {"US": "United States", "FR": "France", "CA-ontario": "Ontario", "diamond-princess": "Diamond Princess"}


def rows(n: int, start: date = date(2020, 3, 1), scale: int = 1) -> list[DailyRow]:
    return [{"date": (start + timedelta(days=i)).isoformat(), "cases": 10 * i * scale, "deaths": i,
             "recovered": None if i % 7 == 3 else 2 * i} for i in range(n)]


def body(series: dict[str, list[DailyRow]]) -> bytes:
    regions = [{"id": r, "name": REGIONS[r], "country": REGIONS[r], "province": None, "level": "country",
                "population": None, "iso2": None, "iso3": None, "uid": None, "sources": ["jhu"], "members": []}
               for r in series]
    return json.dumps({"format": 2, "regions": regions, "series": series}).encode()


def transformed(blobs: BlobStore, data: bytes) -> DatasetTransformedV1:
    key = f"datasets/{sha256_hex(data)}.json"
    blobs.put(key, data)
    return DatasetTransformedV1(key=key, sha256=sha256_hex(data), rows=0, first_date=None, last_date=None,
                                join_policy="inner", sources=[])


@pytest.fixture
def deps(provisioned: dict[str, str]) -> loader.Deps:
    table = provisioned["COVID_ETL_TABLE"]
    return loader.Deps(ledger=RunLedger(table), publisher=MemoryPublisher(), blobs=S3BlobStore(
        provisioned["COVID_ETL_BUCKET"]), series=SeriesRepository(table, per_transaction=10))


def load(deps: loader.Deps, data: bytes, run_id: str) -> DatasetLoadedV1:
    with deps.ledger.lock("load", run_id) as fence:
        outcome = loader.load(transformed(deps.blobs, data), data, run_id, fence, deps)
    assert isinstance(outcome.payload, DatasetLoadedV1)
    return outcome.payload


def committed(deps: loader.Deps) -> DatasetVersion:
    found = deps.ledger.dataset_version()
    assert found is not None
    return found


def partition(deps: loader.Deps, pk: str) -> list[dict[str, Any]]:
    assert isinstance(deps.series, SeriesRepository)
    return list(deps.series.table.query(pk))


FIRST = {"US": rows(30), "FR": rows(25, scale=2), "CA-ontario": rows(20), "diamond-princess": rows(10)}
SECOND = {**FIRST, "US": rows(31), "FR": [*rows(20, scale=2), *rows(26, scale=3)[20:]]}


def test_a_dataset_of_several_regions_loaded_twice_keeps_every_value_and_its_history(deps: loader.Deps) -> None:
    one = load(deps, body(FIRST), "r1")
    assert one.all and (one.all.inserted, one.all.rows_total, one.all.regions) == (85, 85, 4)
    assert (one.inserted, one.rows_total) == (30, 30)  # v1's counts: the US series'
    first_at = committed(deps)["loaded_at"]
    two = load(deps, body(SECOND), "r2")
    second = committed(deps)
    assert (two.inserted, two.updated, two.unchanged, two.rows_total) == (1, 0, 30, 31)
    assert two.all and (two.all.inserted, two.all.updated, two.all.unchanged) == (2, 5, 80)
    assert [(r.region, r.inserted, r.updated) for r in two.regions] == [("FR", 1, 5), ("US", 1, 0)]
    revisions = partition(deps, "revision#FR")
    assert [r["sk"] for r in revisions] == [f"{d['date']}#{first_at}" for d in FIRST["FR"][20:]]
    assert all(r["superseded_by"] == "r2" and r["superseded_at"] == second["loaded_at"] for r in revisions)
    for region in FIRST:
        current, past = partition(deps, f"series#{region}"), partition(deps, f"revision#{region}")
        assert as_of(current, past, instant(first_at)) == FIRST[region]
        assert as_of(current, past, instant(second["loaded_at"])) == SECOND[region]
    image = decode(second["image"], deps.blobs.get(second["image"]))
    assert sorted(image) == sorted(FIRST) and len(image["FR"]) == 26 and image["FR"]["2020-03-26"]["run_id"] == "r2"
    assert deps.series.loading() is None
    assert [item["sk"] for item in partition(deps, "load")] == ["r1", "r2"]
    catalogue = deps.series.catalogue()
    assert catalogue["FR"]["rows"] == 26 and catalogue["diamond-princess"]["last_date"] == "2020-03-10"


def test_a_load_killed_between_its_transactions_reads_the_table_and_counts_like_one_clean_load(
        deps: loader.Deps, monkeypatch: pytest.MonkeyPatch) -> None:
    """10 actions per transaction (DynamoDB Local 1.x's limit): the update takes several."""
    load(deps, body(FIRST), "r1")
    repo = deps.series
    assert isinstance(repo, SeriesRepository)
    transact, made = repo.table.transact, list[int]()

    def dies(actions: Any) -> None:
        if len(made) == 1:
            raise KeyboardInterrupt  # (not an Exception: nothing in the loader may catch it)
        made.append(1)
        transact(actions)

    monkeypatch.setattr(repo.table, "transact", dies)
    with pytest.raises(KeyboardInterrupt):
        load(deps, body(SECOND), "r2")
    mark = repo.loading()
    assert mark and mark["run_id"] == "r2" and committed(deps)["version"] == "r1"
    monkeypatch.setattr(repo.table, "transact", transact)
    again = load(deps, body(SECOND), "r2")
    assert (again.inserted, again.updated, again.unchanged, again.rows_total) == (1, 0, 30, 31)
    assert again.all and (again.all.inserted, again.all.updated, again.all.unchanged) == (2, 5, 80)
    assert str(again.loaded_at and again.loaded_at.isoformat(timespec="milliseconds")) == mark["loaded_at"]
    assert len(partition(deps, "revision#FR")) == 5 and repo.loading() is None


def test_reading_pages_through_a_large_series(provisioned: dict[str, str]) -> None:
    # a Query page holds 1 MB at most: rows with a long padding attribute need several pages
    repo = SeriesRepository(provisioned["COVID_ETL_TABLE"])
    for r in rows(400):
        repo.table.put({"pk": "series#FR", "sk": r["date"], "cases": r["cases"], "deaths": r["deaths"],
                        "padding": "x" * 4000, "updated_at": "2020-01-01T00:00:00.000+00:00"})
    got = repo.current(["FR", "US"])
    assert len(got["FR"]) == 400 and got["US"] == {}
    assert got["FR"]["2020-03-01"]["loaded_at"] == "2020-01-01T00:00:00.000+00:00"  # from before `loaded_at`

