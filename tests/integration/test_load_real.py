"""The loader on the real snapshots, on the emulator: the 2020-09-25 JHU file (with NYT's 2020-08-13
us.csv), then the 2021-03-17 one (with the newer us.csv), each transformed by the transformer of every
region. As of the first load's instant the table gives the first file's values for every region;
revised dates have both values in their history; the second load reads no region back."""

from __future__ import annotations

import json
import time
from functools import cache
from pathlib import Path

import pytest

from services.loader import handler as loader
from services.loader.repository import SeriesRepository
from services.transformer.lookup import lookup_for_run
from services.transformer.parse import parse_jhu_file, parse_lookup, parse_nyt
from services.transformer.world import world
from shared.blobs import S3BlobStore, sha256_hex
from shared.history import as_of
from shared.ledger import RunLedger
from shared.messages import DatasetLoadedV1, DatasetTransformedV1
from shared.queues import MemoryPublisher
from tests.support.tiers import no_real_data

pytestmark = pytest.mark.realdata
DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
RUNS = {"20200925T060000.000Z-first": ("nyt/us-2020-08-13.csv", "jhu/time-series-19-covid-combined-2020-09-25.csv"),
        "20210317T060000.000Z-second": ("nyt/us.csv", "jhu/time-series-19-covid-combined.csv")}
LOOKUP = DATA / "jhu" / "UID_ISO_FIPS_LookUp_Table.csv"


@cache
def body(nyt: str, jhu: str) -> bytes:
    if not all((DATA / p).is_file() for p in (nyt, jhu, "jhu/UID_ISO_FIPS_LookUp_Table.csv")):
        no_real_data("../shared/data not present")
    frames = {"nyt": parse_nyt((DATA / nyt).read_bytes()), "jhu": parse_jhu_file(DATA / jhu)}
    lookup, _ = lookup_for_run(parse_lookup(LOOKUP.read_bytes()), None)
    return world(frames, lookup)[0].to_json()


class Counting(SeriesRepository):
    def __init__(self, table: str) -> None:
        super().__init__(table)
        self.read: list[str] = []

    def current(self, regions):  # type: ignore[no-untyped-def]
        self.read += list(regions)
        return super().current(regions)


def test_two_real_files_loaded_one_after_the_other_keep_the_first_as_of_its_load(
        provisioned: dict[str, str]) -> None:
    table, bucket = provisioned["COVID_ETL_TABLE"], provisioned["COVID_ETL_BUCKET"]
    repo = Counting(table)
    deps = loader.Deps(ledger=RunLedger(table), publisher=MemoryPublisher(), blobs=S3BlobStore(bucket), series=repo)
    loaded, took = {}, {}
    for run_id, (nyt, jhu) in RUNS.items():
        data = body(nyt, jhu)
        key = f"datasets/{sha256_hex(data)}.json"
        deps.blobs.put(key, data)
        message = DatasetTransformedV1(key=key, sha256=sha256_hex(data), rows=0, first_date=None, last_date=None,
                                       join_policy="inner", sources=[])
        started = time.perf_counter()
        with deps.ledger.lock("load", run_id, wait_s=0) as fence:
            outcome = loader.load(message, data, run_id, fence, deps)
        took[run_id] = time.perf_counter() - started
        assert isinstance(outcome.payload, DatasetLoadedV1) and outcome.payload.all
        loaded[run_id] = outcome.payload
    first, second = loaded.values()
    assert repo.read == []  # the first load found an empty table, the second read its image
    assert first.all and second.all and second.all.regions >= first.all.regions > 250
    assert second.all.updated > 0 and second.all.inserted > 0
    old, new = (json.loads(body(*files))["series"] for files in RUNS.values())
    gone = sorted(set(old) - set(new))  # Western Sahara (EH) is in the first file only: its rows are kept
    assert second.all.rows_total == sum(map(len, new.values())) + sum(len(old[r]) for r in gone)
    assert [f"region {r}" in " ".join(second.warnings) for r in gone] == [True] * len(gone)
    print(f"\nfirst load {took[list(RUNS)[0]]:.1f} s: {first.all}; second {took[list(RUNS)[1]]:.1f} s: {second.all}; "
          f"top {[(r.region, r.inserted, r.updated) for r in second.regions]}; gone {gone}")
    first_at = first.loaded_at
    assert first_at is not None
    revised = 0
    for region in ("US", "FR", "GB", "CA-ontario", "HK", "diamond-princess", "AU", "CN", "DE", "IT"):
        if region not in old:
            continue
        current = list(repo.table.query(f"series#{region}"))
        past = list(repo.table.query(f"revision#{region}"))
        assert as_of(current, past, first_at) == old[region], region
        revised += len(past)
    assert revised > 0  # some of these regions' dates were revised between the two files


def test_a_one_day_update_of_the_real_file_writes_only_the_new_days_rows(provisioned: dict[str, str],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18's one-day update: the 2021-03-17 file without its last date, then the whole file. The
    second load reads one image (no region back) and writes one row per region, nothing else but its
    commit."""
    table, bucket = provisioned["COVID_ETL_TABLE"], provisioned["COVID_ETL_BUCKET"]
    repo = Counting(table)
    deps = loader.Deps(ledger=RunLedger(table), publisher=MemoryPublisher(), blobs=S3BlobStore(bucket), series=repo)
    whole = json.loads(body(*RUNS["20210317T060000.000Z-second"]))
    last = max(row["date"] for rows in whole["series"].values() for row in rows)
    before = {**whole, "series": {r: [row for row in rows if row["date"] != last]
                                  for r, rows in whole["series"].items()}}
    transactions: list[int] = []
    transact = repo.table.transact

    def counted(actions: list) -> None:  # type: ignore[type-arg]
        transactions.append(len(actions))
        transact(actions)

    took = {}
    for run_id, data in (("20210316T060000.000Z-before", json.dumps(before).encode()),
                         ("20210317T060000.000Z-whole", json.dumps(whole).encode())):
        key = f"datasets/{sha256_hex(data)}.json"
        deps.blobs.put(key, data)
        message = DatasetTransformedV1(key=key, sha256=sha256_hex(data), rows=0, first_date=None, last_date=None,
                                       join_policy="inner", sources=[])
        transactions.clear()
        monkeypatch.setattr(repo.table, "transact", counted)
        started = time.perf_counter()
        with deps.ledger.lock("load", run_id, wait_s=0) as fence:
            outcome = loader.load(message, data, run_id, fence, deps)
        took[run_id] = time.perf_counter() - started
    assert isinstance(outcome.payload, DatasetLoadedV1) and outcome.payload.all
    new_rows = sum(1 for rows in whole["series"].values() if rows and rows[-1]["date"] == last)
    assert (outcome.payload.all.inserted, outcome.payload.all.updated) == (new_rows, 0)
    # each transaction's fence, the rows, the commit (regions, load, dataset: no sources here), the marker put
    # and cleared (more than one transaction)
    assert repo.read == [] and sum(transactions) == len(transactions) + new_rows + 3 + 2
    print(f"\none-day update: {new_rows} rows in {len(transactions)} transactions, {took}")
