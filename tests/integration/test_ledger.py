"""RunLedger on the one DynamoDB table: runs, stages, history, claims and the load lock."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from services.loader.repository import SeriesRepository
from services.loader.writes import marker
from shared.clock import FakeClock
from shared.dynamo import Table
from shared.idempotency import ClaimedElsewhere
from shared.ledger import RunLedger, now_iso
from shared.lock import Lease, LostLock, fenced_puts
from shared.messages import SourceVersion
from shared.renewal import renewing
from shared.runs import IllegalTransition, RunEnd, StageRecord

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(provisioned: dict[str, str], clock: FakeClock) -> RunLedger:
    return RunLedger(provisioned["COVID_ETL_TABLE"], lease_s=2, clock=clock)


def running(at: str = "2020-03-01T06:00:00+00:00") -> StageRecord:
    return StageRecord(status="running", started_at=at)


def test_the_first_stage_opens_the_run_once(ledger: RunLedger) -> None:
    ledger.open("20200301T060000Z-aaaa", "cli", "extract", running())
    opened = ledger.get("20200301T060000Z-aaaa")
    assert opened is not None and (opened.status, opened.trigger, opened.started_at) == \
        ("running", "cli", "2020-03-01T06:00:00+00:00")
    assert opened.stages == {"extract": running()}
    ledger.record_stage("20200301T060000Z-aaaa", "extract", StageRecord(status="succeeded", duration_ms=5))
    ledger.close("20200301T060000Z-aaaa", RunEnd(status="failed", finished_at=now_iso(), error="x", stage="load"))
    ledger.open("20200301T060000Z-aaaa", "replay", "extract", running("2020-03-02T00:00:00+00:00"))  # a replay
    again = ledger.get("20200301T060000Z-aaaa")
    assert again is not None and (again.status, again.trigger, again.started_at) == \
        ("failed", "cli", "2020-03-01T06:00:00+00:00")  # the run's own fields kept; only the record is new
    assert again.stages["extract"] == running("2020-03-02T00:00:00+00:00")


def test_the_last_stage_record_and_the_end_are_one_write(ledger: RunLedger) -> None:
    ledger.open("r2", "cli", "extract", running())
    done = StageRecord(status="succeeded", started_at="2020-03-01T06:00:00+00:00", duration_ms=7)
    ledger.close("r2", RunEnd(status="no_change", finished_at=now_iso(), rows_total=4), ("extract", done))
    run = ledger.get("r2")
    assert run is not None and (run.status, run.rows_total, run.stages) == ("no_change", 4, {"extract": done})


def test_a_status_move_is_checked_by_the_write_itself(ledger: RunLedger) -> None:
    ledger.open("r3", "cli", "extract", running())
    ledger.close("r3", RunEnd(status="succeeded", finished_at=now_iso(), inserted=2))
    with pytest.raises(IllegalTransition, match="from succeeded to interrupted"):
        ledger.close("r3", RunEnd(status="interrupted", finished_at=now_iso(), error="stopped"))
    with pytest.raises(IllegalTransition, match="from succeeded to gave_up"):
        ledger.close("r3", RunEnd(status="gave_up", finished_at=now_iso(), error="x"), ("load", running()))
    run = ledger.get("r3")
    assert run is not None and (run.status, run.inserted, run.error) == ("succeeded", 2, None)
    assert run.stages == {"extract": running()}  # nothing of the refused writes
    with pytest.raises(IllegalTransition, match="from nothing to interrupted"):
        ledger.close("r4", RunEnd(status="interrupted", finished_at=now_iso(), error="stopped"))
    assert ledger.get("r4") is None
    ledger.close("r5", RunEnd(status="gave_up", finished_at=now_iso(), error="x"))  # a run never opened
    ledger.close("r5", RunEnd(status="succeeded", finished_at=now_iso()))  # ... then replayed
    assert (ledger.get("r5") or running()).status == "succeeded"


def test_stages_and_the_end_come_back_typed(ledger: RunLedger) -> None:
    nyt = SourceVersion(name="nyt", url="u", key="k", sha256="abc", bytes=5, changed=True)
    ledger.open("r1", "schedule", "extract", running())
    ledger.record_stage("r1", "extract", StageRecord(status="succeeded", duration_ms=12, sources=[nyt]))
    ledger.record_stage("r1", "transform", StageRecord(status="failed", error="nyt: bad"))
    ledger.close("r1", RunEnd(status="failed", finished_at=now_iso(), error="nyt: bad", stage="transform",
                              rows_total=3, warnings=["w"]))
    ledger.close("r1", RunEnd(status="succeeded", finished_at=now_iso(), inserted=2))  # a replay succeeded
    run = ledger.get("r1")
    assert run is not None
    assert run.stages["extract"] == StageRecord(status="succeeded", duration_ms=12, sources=[nyt])
    assert run.stages["transform"].error == "nyt: bad"
    assert (run.status, run.inserted, run.error, run.stage, run.rows_total) == ("succeeded", 2, None, None, None)
    assert run.as_json()["stages"] == {
        "transform": {"status": "failed", "error": "nyt: bad"},
        "extract": {"status": "succeeded", "duration_ms": 12,
                    "sources": [nyt.model_dump(mode="json", exclude_none=True)]}}


def test_unknown_run_is_none(ledger: RunLedger) -> None:
    assert ledger.get("nope") is None


def test_runs_are_listed_newest_first(ledger: RunLedger) -> None:
    for run_id in ("20200301T060000Z-b", "20200303T060000Z-c", "20200302T060000Z-a"):
        ledger.open(run_id, "cli", "extract", running())
    assert [r.run_id for r in ledger.recent(2)] == ["20200303T060000Z-c", "20200302T060000Z-a"]


def test_versions_committed_by_the_loader_are_read_back(ledger: RunLedger, provisioned: dict[str, str]) -> None:
    assert ledger.source_versions() == {} and ledger.dataset_version() is None
    with ledger.lock("load", "r1") as fence:
        SeriesRepository(provisioned["COVID_ETL_TABLE"]).load(
            [], [{"pk": "source", "sk": "nyt", "name": "nyt", "sha256": "abc", "bytes": 10, "etag": None},
                 {"pk": "meta", "sk": "dataset", "version": "r1", "rows_total": 3, "first_date": "2020-03-01",
                  "last_date": "2020-03-03"}], marker("r1", "2020-03-04T00:00:00.000+00:00"), False, fence)
    nyt = ledger.source_versions()["nyt"]
    assert (nyt["sha256"], nyt["bytes"]) == ("abc", 10) and "etag" not in nyt
    dataset = ledger.dataset_version()
    assert dataset is not None and (dataset["version"], dataset["rows_total"]) == ("r1", 3)


def test_a_claim_is_taken_once_and_remembers_its_outcome(ledger: RunLedger) -> None:
    first = ledger.claims.claim("load", "m1")
    assert first.fresh
    ledger.claims.complete(first, {"queue": "notifier", "message": "{}"})
    again = ledger.claims.claim("load", "m1")
    assert not again.fresh and again.outcome == {"queue": "notifier", "message": "{}"}
    assert ledger.claims.claim("transform", "m1").fresh  # claims are per stage


def test_a_released_claim_can_be_taken_again(ledger: RunLedger) -> None:
    ledger.claims.release(ledger.claims.claim("load", "m2"))
    assert ledger.claims.claim("load", "m2").fresh


def test_a_live_claim_is_held_elsewhere_until_its_lease_lapses(ledger: RunLedger, clock: FakeClock) -> None:
    ledger.claims.claim("load", "m3")
    with pytest.raises(ClaimedElsewhere):
        ledger.claims.claim("load", "m3")
    clock.advance(3)  # lease_s=2
    assert ledger.claims.claim("load", "m3").fresh


def test_a_kept_claim_is_renewed_while_its_work_runs(ledger: RunLedger, clock: FakeClock) -> None:
    claim = ledger.claims.claim("load", "m4")
    clock.advance(1.5)
    assert ledger.claims.renew(claim)  # what `kept` does every third of the lease
    clock.advance(1.5)  # past the first lease, within the renewed one
    with pytest.raises(ClaimedElsewhere):
        ledger.claims.claim("load", "m4")
    ledger.claims.complete(claim, {})
    assert not ledger.claims.renew(claim)  # a completed claim is no longer a lease


def test_a_renewal_thread_renews_until_told_it_lost() -> None:
    answers = iter([True, True, False])
    calls: list[int] = []

    def renew() -> bool:
        calls.append(1)
        return next(answers)

    with renewing(renew, 0.01, "test lease"):
        deadline = time.monotonic() + 5
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(calls) == 3  # stopped at the first False


def test_the_load_lock_keeps_two_holders_apart(ledger: RunLedger) -> None:
    first = Lease(ledger.table, "load", "run-a", 2, ledger.clock)
    first.acquire(0)
    second = Lease(ledger.table, "load", "run-b", 2, ledger.clock)
    with pytest.raises(TimeoutError):
        second.acquire(1)  # waits on the fake clock: 1 s is not the 2 s lease
    assert first.release()
    assert second.acquire(0).token == first.fence.token + 1  # type: ignore[union-attr]


def test_a_held_lock_is_renewed_past_its_lease(ledger: RunLedger, clock: FakeClock) -> None:
    slow = Lease(ledger.table, "load", "slow-run", 2, clock)
    slow.acquire(0)
    for _ in range(4):  # 6 s in all, renewed every 1.5 s
        clock.advance(1.5)
        assert slow.renew()
    with pytest.raises(TimeoutError):
        Lease(ledger.table, "load", "other-run", 2, clock).acquire(1)


def test_a_dead_holders_lock_lapses(ledger: RunLedger, clock: FakeClock) -> None:
    # what a SIGKILLed holder leaves: its item, never renewed again
    ledger.table.put({"pk": "lock", "sk": "load", "owner": "dead", "token": 7, "lease_until": int(clock.time()) + 1})
    with ledger.lock("load", owner="next-run", wait_s=10) as fence:
        assert fence.token == 8
    assert 0.5 <= sum(clock.slept) <= 2.5


def test_writes_under_a_lost_lock_are_rejected(ledger: RunLedger, clock: FakeClock) -> None:
    paused = Lease(ledger.table, "load", "paused-run", 2, clock)
    old = paused.acquire(0)
    clock.advance(3)  # paused past its lease: the next holder takes over
    with ledger.lock("load", owner="later-run", wait_s=0) as current:
        fenced_puts(ledger.table, [{"pk": "series#US", "sk": "2020-03-01", "cases": 2}], current)
        with pytest.raises(LostLock):
            fenced_puts(ledger.table, [{"pk": "series#US", "sk": "2020-03-01", "cases": 1}], old)
    with ledger.lock("load", owner="third-run", wait_s=0):  # tokens only grow: the old one never comes back
        with pytest.raises(LostLock):
            fenced_puts(ledger.table, [{"pk": "series#US", "sk": "2020-03-02", "cases": 1}], old)
    assert not paused.release()
    assert ledger.table.get("series#US", "2020-03-01") == {"pk": "series#US", "sk": "2020-03-01", "cases": 2}
    assert ledger.table.get("series#US", "2020-03-02") is None


def test_a_holder_paused_past_its_lease_cannot_touch_its_takers_claim(ledger: RunLedger, clock: FakeClock) -> None:
    paused = ledger.claims.claim("load", "m5")
    clock.advance(3)  # lease_s=2: the lease lapsed while its holder was paused
    taker = ledger.claims.claim("load", "m5")
    assert taker.fresh
    assert not ledger.claims.renew(paused)  # its renewal thread wakes up: not its claim any more
    ledger.claims.release(paused)  # its handler failed: it must not expire the taker's lease
    with pytest.raises(ClaimedElsewhere):
        ledger.claims.claim("load", "m5")
    ledger.claims.complete(paused, {"queue": "notifier", "message": "paused"})  # ignored: the taker's
    ledger.claims.complete(taker, {"queue": "notifier", "message": "taker"})
    assert ledger.claims.claim("load", "m5").outcome == {"queue": "notifier", "message": "taker"}


def test_a_stage_finishes_with_its_record_and_its_claims_outcome(ledger: RunLedger) -> None:
    run_id = "20200301T060000Z-fini"
    ledger.open(run_id, "cli", "extract", running())
    claim = ledger.claims.claim("transform", "m6")
    done = StageRecord(status="succeeded", started_at="2020-03-01T06:00:01+00:00",
                       finished_at="2020-03-01T06:00:02+00:00")
    ledger.finish(run_id, "transform", done, claim, {"queue": "loader", "message": "next"})
    run = ledger.get(run_id)
    assert run is not None and run.stages["transform"].status == "succeeded"
    assert ledger.claims.claim("transform", "m6").outcome == {"queue": "loader", "message": "next"}


def test_a_stage_whose_claim_was_taken_over_still_records_itself(ledger: RunLedger, clock: FakeClock) -> None:
    run_id = "20200301T060000Z-take"
    ledger.open(run_id, "cli", "extract", running())
    paused = ledger.claims.claim("transform", "m7")
    clock.advance(3)  # lease_s=2: the lease lapsed while its holder was paused
    taker = ledger.claims.claim("transform", "m7")
    done = StageRecord(status="succeeded", started_at="2020-03-01T06:00:01+00:00",
                       finished_at="2020-03-01T06:00:09+00:00")
    ledger.finish(run_id, "transform", done, paused, {"queue": "loader", "message": "paused"})
    run = ledger.get(run_id)
    assert run is not None and run.stages["transform"].finished_at == "2020-03-01T06:00:09+00:00"
    with pytest.raises(ClaimedElsewhere):  # the taker's claim is untouched: still in progress, its own
        ledger.claims.claim("transform", "m7")
    ledger.finish(run_id, "transform", None, taker, {"queue": "loader", "message": "taker"})
    assert ledger.claims.claim("transform", "m7").outcome == {"queue": "loader", "message": "taker"}


class OneConflict:
    """The emulator's client, but the first transaction meets a transaction in flight (as a renewal can
    make it on AWS, which the emulator does not reproduce)."""

    def __init__(self, client: Any) -> None:
        self.client, self.transactions = client, 0

    def transact_write_items(self, **kwargs: Any) -> Any:
        self.transactions += 1
        if self.transactions == 1:
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                               "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}]},
                              "TransactWriteItems")
        return self.client.transact_write_items(**kwargs)


def test_a_conflict_is_retried_but_a_lost_fence_still_stops_the_write(ledger: RunLedger, clock: FakeClock) -> None:
    paused = Lease(ledger.table, "load", "paused-run", 2, clock)
    old = paused.acquire(0)
    clock.advance(3)
    with ledger.lock("load", owner="later-run", wait_s=0) as current:
        conflicted = OneConflict(ledger.table.client)
        table = Table(ledger.table.name, cast("DynamoDBClient", conflicted), clock)
        with pytest.raises(LostLock):  # the emulator's own failed condition, after the conflict's retry
            fenced_puts(table, [{"pk": "series#US", "sk": "2020-03-03", "cases": 1}], old)
        assert conflicted.transactions == 2
        conflicted.transactions = 0
        fenced_puts(table, [{"pk": "series#US", "sk": "2020-03-03", "cases": 2}], current)
        assert conflicted.transactions == 2
    assert ledger.table.get("series#US", "2020-03-03") == {"pk": "series#US", "sk": "2020-03-03", "cases": 2}
