"""The loader on every region: revisions, data as of an instant, the image and the table as diff bases,
a retry after a death between transactions, and the warnings of a region gone or renamed.

A hand-written fake table (`support.fakes.FakeSeries`) takes the writes the repository would make,
in the same transactions; `shared.history.as_of` reconstructs the past from the items written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from support.fakes import FakeLedger, FakeSeries

from services.loader import handler as loader
from services.loader.image import decode
from services.loader.writes import marker, transactions
from shared.blobs import MemoryBlobStore, sha256_hex
from shared.daily import DailyRow
from shared.history import as_of, instant
from shared.lock import Fence
from shared.messages import DatasetLoadedV1, DatasetTransformedV1, SourceVersion
from shared.queues import MemoryPublisher

SOURCES = [SourceVersion(name=n, url=f"http://x/{n}", key=f"raw/{n}/{n * 8}.csv", sha256=n * 8, bytes=1, changed=True)
           for n in ("nyt", "jhu")]
T0 = 1_600_000_000.0


class StepClock:
    """Time moves only when a test says so."""

    def __init__(self) -> None:
        self.now = T0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def days(n: int, start: int = 0, scale: int = 1, recovered: int | None = 0) -> list[DailyRow]:
    return [{"date": f"2020-03-{d + 1:02d}", "cases": (d + 1) * 10 * scale, "deaths": d * scale,
             "recovered": recovered} for d in range(start, n)]


def region(rid: str, name: str, **more: Any) -> dict[str, Any]:
    return {"id": rid, "name": name, "country": name, "province": None, "level": "country", "population": 1000,
            "iso2": rid, "iso3": None, "uid": None, "sources": ["jhu"], "members": [], **more}


def dataset(series: dict[str, list[DailyRow]], names: dict[str, str] | None = None) -> bytes:
    names = {"US": "United States", "FR": "France", "HK": "Hong Kong", "MM": "Burma", **(names or {})}
    return json.dumps({"format": 2, "regions": [region(r, names[r]) for r in series], "series": series}).encode()


@dataclass(frozen=True)
class Loaded:
    payload: DatasetLoadedV1
    found: dict[str, Any]

    @property
    def all(self) -> dict[str, int]:
        assert self.payload.all is not None
        return self.payload.all.model_dump()


class Loads:
    """A loader with fakes: `run(body, run_id)` loads as the handler would under the lock."""

    def __init__(self, per_transaction: int = 100) -> None:
        self.ledger, self.blobs, self.clock = FakeLedger(), MemoryBlobStore(), StepClock()
        self.series = FakeSeries(self.ledger, per_transaction)
        self.deps = loader.Deps(ledger=self.ledger, publisher=MemoryPublisher(), clock=self.clock,
                                blobs=self.blobs, series=self.series)

    def run(self, body: bytes, run_id: str) -> Loaded:
        self.clock.now += 3600
        key = f"datasets/{sha256_hex(body)}.json"
        self.blobs.put(key, body)
        message = DatasetTransformedV1(key=key, sha256=sha256_hex(body), rows=0, join_policy="inner",
                                       first_date=None, last_date=None, sources=SOURCES)
        outcome = loader.load(message, body, run_id, Fence("load", 1), self.deps)
        assert isinstance(outcome.payload, DatasetLoadedV1)
        return Loaded(outcome.payload, outcome.found)

    def history(self, rid: str, at: str) -> list[DailyRow]:
        return as_of(self.series.partition(f"series#{rid}").values(),
                     self.series.partition(f"revision#{rid}").values(), instant(at))

    def found(self, outcome: Loaded) -> dict[str, Any]:
        return {k: outcome.found[k] for k in ("inserted", "updated", "unchanged", "rows_total")}


FIRST = {"US": days(5), "FR": days(5, scale=2), "HK": days(3)}
SECOND = {"US": days(6), "FR": [*days(2, scale=2), *days(5, start=2, scale=3)], "HK": days(3)}


def test_a_first_load_writes_each_row_once_and_counts_us_apart_from_every_region() -> None:
    loads = Loads()
    outcome = loads.run(dataset(FIRST), "r1")
    assert loads.found(outcome) == {"inserted": 5, "updated": 0, "unchanged": 0, "rows_total": 5}  # US: v1's meaning
    event = outcome.payload
    assert outcome.all == {"inserted": 13, "updated": 0, "unchanged": 0,
                                                    "rows_total": 13, "regions": 3}
    assert [(r.region, r.inserted) for r in event.regions] == [("FR", 5), ("US", 5), ("HK", 3)]
    assert not any(pk.startswith("revision#") for pk, _ in loads.series.items)  # no second copy of a row
    assert loads.series.written_all == [13] and loads.series.loading() is None
    committed = loads.ledger.dataset
    assert committed and event.loaded_at and instant(committed["loaded_at"]) == event.loaded_at
    assert decode(committed["image"], loads.blobs.get(committed["image"]))["FR"]["2020-03-05"]["cases"] == 100
    load_item = loads.series.items[("load", "r1")]
    assert load_item["sources"] == {"nyt": "nyt" * 8, "jhu": "jhu" * 8} and load_item["loaded_at"] == committed[
        "loaded_at"]
    catalogue = loads.series.catalogue()
    assert (catalogue["HK"]["first_date"], catalogue["HK"]["last_date"], catalogue["HK"]["rows"]) == (
        "2020-03-01", "2020-03-03", 3)


def test_an_update_writes_only_changed_rows_with_their_old_values_and_history_is_exact() -> None:
    loads = Loads()
    loads.run(dataset(FIRST), "r1")
    first_at = str(loads.ledger.dataset["loaded_at"])  # type: ignore[index]
    outcome = loads.run(dataset(SECOND), "r2")
    second_at = str(loads.ledger.dataset["loaded_at"])  # type: ignore[index]
    assert loads.series.queries == []  # the image was the diff base: no region was read back
    assert loads.found(outcome) == {"inserted": 1, "updated": 0, "unchanged": 5, "rows_total": 6}
    assert outcome.all == {"inserted": 1, "updated": 3, "unchanged": 10,
                                                "rows_total": 14, "regions": 3}
    assert loads.series.written_all == [13, 4] and loads.series.written == [5, 1]
    revisions = loads.series.partition("revision#FR")
    assert sorted(revisions) == [f"2020-03-0{d}#{first_at}" for d in (3, 4, 5)]
    assert {r["superseded_by"] for r in revisions.values()} == {"r2"} and all(
        r["superseded_at"] == second_at and r["run_id"] == "r1" for r in revisions.values())
    for rid in FIRST:  # as of the first commit: the first file exactly; as of the second: the second file
        assert loads.history(rid, first_at) == FIRST[rid]
        assert loads.history(rid, second_at) == SECOND[rid]
    assert loads.history("FR", "2020-01-01T00:00:00Z") == []  # before the first load: nothing


def test_the_image_and_the_table_as_diff_bases_give_the_same_table_and_counts() -> None:
    with_image, without = Loads(), Loads()
    for loads in (with_image, without):
        loads.run(dataset(FIRST), "r1")
    without.blobs.objects.clear()  # the image is lost (or expired): the loader reads the table back
    outcomes = [loads.run(dataset(SECOND), "r2") for loads in (with_image, without)]
    assert with_image.series.queries == [] and without.series.queries == ["series#FR", "series#HK", "series#US"]
    assert outcomes[0].payload == outcomes[1].payload
    assert with_image.series.items == without.series.items
    assert with_image.ledger.dataset == without.ledger.dataset  # the same image, named the same


@pytest.mark.parametrize("dies_after", [1, 2, 3])
def test_a_retry_after_a_death_between_transactions_counts_and_writes_like_one_clean_load(dies_after: int) -> None:
    clean, killed = Loads(per_transaction=4), Loads(per_transaction=4)
    for loads in (clean, killed):
        loads.run(dataset(FIRST), "r1")
    want = clean.run(dataset(SECOND), "r2")
    killed.series.dies_after = dies_after
    with pytest.raises(RuntimeError, match="killed"):
        killed.run(dataset(SECOND), "r2")
    mark = killed.series.loading()
    assert mark is not None and mark["run_id"] == "r2"  # its first transaction left the marker
    assert killed.ledger.dataset and killed.ledger.dataset["version"] == "r1"  # nothing committed
    killed.clock.now = clean.clock.now + 600  # the retry comes later, and keeps the first try's instant
    again = killed.run(dataset(SECOND), "r2")
    assert killed.series.queries  # the marker made it read the table, not the image
    assert killed.found(again) == clean.found(want) == {"inserted": 1, "updated": 0, "unchanged": 5, "rows_total": 6}
    assert again.payload.all == want.payload.all and again.payload.regions == want.payload.regions
    assert killed.series.items == clean.series.items  # the same rows, revisions and loaded_at, no marker left
    assert killed.ledger.dataset == clean.ledger.dataset


def test_a_load_of_one_transaction_needs_no_marker() -> None:
    loads = Loads()
    loads.run(dataset(FIRST), "r1")
    loads.series.transactions.clear()
    loads.run(dataset(SECOND), "r2")
    assert loads.series.transactions == [4 + 3 + 5]  # 4 rows, 3 revisions, the commit: one transaction, no marker
    assert loads.series.loading() is None


def test_a_region_gone_from_the_file_keeps_its_rows_and_loads_with_a_warning() -> None:
    """It loads rather than fails: the region's past is still true, and a source that drops a region for a
    day must not erase it from the table; the warning tells a person to look."""
    loads = Loads()
    loads.run(dataset(FIRST), "r1")
    outcome = loads.run(dataset({"US": days(6), "FR": days(5, scale=2)}), "r2")
    assert "region HK ('Hong Kong') is no longer in the JHU file; its rows are kept" in outcome.payload.warnings
    assert len(loads.series.partition("series#HK")) == 3 and loads.series.catalogue()["HK"]["rows"] == 3
    assert outcome.all["rows_total"] == 14


def test_a_region_renamed_under_its_id_keeps_its_rows_and_loads_with_a_warning() -> None:
    """It loads rather than fails: the id is the lookup's code, the same place under another spelling
    (Burma, Myanmar), so its rows stay one series; the warning says what changed."""
    loads = Loads()
    loads.run(dataset({"US": days(3), "MM": days(3)}), "r1")
    outcome = loads.run(dataset({"US": days(3), "MM": days(4)}, names={"MM": "Myanmar"}), "r2")
    assert "region MM renamed from 'Burma' to 'Myanmar'" in outcome.payload.warnings
    assert loads.series.catalogue()["MM"]["name"] == "Myanmar" and len(loads.series.partition("series#MM")) == 4
    assert outcome.all["updated"] == 0


def test_a_format_1_body_loads_the_us_series_and_keeps_the_catalogue() -> None:
    loads = Loads()
    loads.run(dataset(FIRST), "r1")
    outcome = loads.run(json.dumps({"records": days(6)}).encode(), "r2")
    assert loads.found(outcome) == {"inserted": 1, "updated": 0, "unchanged": 5, "rows_total": 6}
    assert loads.series.catalogue()["US"]["population"] == 1000  # the catalogue's own description stays
    assert sum("no longer in the JHU file" in w for w in outcome.payload.warnings) == 2


def test_the_top_five_are_the_regions_with_most_changed_rows() -> None:
    loads = Loads()
    many = {rid: days(n) for rid, n in zip(["US", "FR", "HK", "MM", "DE", "IT", "ES"], [2, 7, 3, 5, 6, 1, 4],
                                             strict=True)}
    outcome = loads.run(dataset(many, names={r: r for r in ("DE", "IT", "ES")}), "r1")
    assert [r.region for r in outcome.payload.regions] == ["FR", "DE", "MM", "ES", "HK"]
    assert datetime.fromtimestamp(T0 + 3600, UTC) == outcome.payload.loaded_at


def test_values_of_a_load_that_died_were_held_by_the_table_and_stay_in_its_history() -> None:
    """r2 dies halfway; r3 finds r2's marker, reads the table, and overwrites r2's rows. Readers saw r2's
    rows while the table held them, so its values are history too: as of any instant every date has
    the value the table held then, none goes missing."""
    loads = Loads(per_transaction=4)
    loads.run(dataset(FIRST), "r1")
    first_at = str(loads.ledger.dataset["loaded_at"])  # type: ignore[index]
    loads.series.dies_after = 2
    with pytest.raises(RuntimeError, match="killed"):
        loads.run(dataset(SECOND), "r2")
    held = {d: dict(r) for d, r in loads.series.partition("series#FR").items()}
    r2_at = next(str(r["loaded_at"]) for r in held.values() if r["run_id"] == "r2")
    third = {**FIRST, "FR": days(5, scale=5)}
    loads.run(dataset(third), "r3")
    assert loads.series.queries and loads.series.loading() is None
    third_at = str(loads.ledger.dataset["loaded_at"])  # type: ignore[index]
    as_held = [{"date": d, "cases": r["cases"], "deaths": r["deaths"], "recovered": r["recovered"]}
               for d, r in sorted(held.items())]
    assert loads.history("FR", first_at) == FIRST["FR"]
    assert loads.history("FR", r2_at) == as_held != FIRST["FR"]  # r2's rows, beside r1's it had not reached
    assert loads.history("FR", third_at) == third["FR"]


@pytest.mark.parametrize("per_transaction", [4, 10, 100])
@pytest.mark.parametrize("shape", [[1] * 7, [2] * 7, [1, 2] * 60, [2] * 150, []])
def test_writes_keep_each_pair_in_one_transaction_and_the_commit_last(per_transaction: int,
                                                                       shape: list[int]) -> None:
    groups = [[{"pk": f"g{i}", "sk": str(j)} for j in range(size)] for i, size in enumerate(shape)]
    commit = [{"pk": "meta", "sk": "dataset"}, {"pk": "load", "sk": "r1"}]
    mark = marker("r1", "t")
    planned = transactions(groups, commit, mark, False, per_transaction)
    flat = [w for batch in planned for w in batch]
    assert all(len(batch) <= per_transaction - 1 for batch in planned)  # the fence takes one action
    # only the first and the last are short (by more than the one write a pair may leave)
    assert all(len(batch) >= per_transaction - 2 for batch in planned[1:-1])
    where = {(w["pk"], w["sk"]): n for n, batch in enumerate(planned) for w in batch}
    assert all(len({where[(w["pk"], w["sk"])] for w in g}) == 1 for g in groups)  # a pair is never split
    if len(planned) > 1:  # the marker first, cleared by the commit
        assert flat[0] == mark and flat[-1] == {**mark, "committed": True} and flat[-3:-1] == commit
    else:
        assert flat == [*(w for g in groups for w in g), *commit]
