"""RunLedger on the one DynamoDB table: runs, stages, history, claims and the load lock."""

from __future__ import annotations

import threading
import time

import pytest

from services.loader.repository import SeriesRepository
from shared.ledger import RunLedger, now_iso
from shared.messages import SourceVersion
from shared.runs import RunEnd, StageRecord


@pytest.fixture
def ledger(provisioned: dict[str, str]) -> RunLedger:
    return RunLedger(provisioned["COVID_ETL_TABLE"], lease_s=2)


def test_start_run_once(ledger: RunLedger) -> None:
    assert ledger.start("20200301T060000Z-aaaa", "cli", now_iso()) is True
    assert ledger.start("20200301T060000Z-aaaa", "cli", now_iso()) is False  # a duplicate delivery
    run = ledger.get("20200301T060000Z-aaaa")
    assert run is not None and (run.status, run.trigger, run.stages) == ("running", "cli", {})


def test_stages_and_the_end_come_back_typed(ledger: RunLedger) -> None:
    nyt = SourceVersion(name="nyt", url="u", key="k", sha256="abc", bytes=5, changed=True)
    ledger.start("r1", "schedule", now_iso())
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
    assert run.as_json()["stages"]["extract"] == {"status": "succeeded", "duration_ms": 12,
                                                  "sources": [nyt.model_dump(mode="json", exclude_none=True)]}


def test_unknown_run_is_none(ledger: RunLedger) -> None:
    assert ledger.get("nope") is None


def test_runs_are_listed_newest_first(ledger: RunLedger) -> None:
    for run_id in ("20200301T060000Z-b", "20200303T060000Z-c", "20200302T060000Z-a"):
        ledger.start(run_id, "cli", now_iso())
    assert [r.run_id for r in ledger.recent(2)] == ["20200303T060000Z-c", "20200302T060000Z-a"]


def test_versions_committed_by_the_loader_are_read_back(ledger: RunLedger, provisioned: dict[str, str]) -> None:
    assert ledger.source_versions() == {} and ledger.dataset_version() is None
    SeriesRepository(provisioned["COVID_ETL_TABLE"]).commit_versions(
        [{"name": "nyt", "sha256": "abc", "bytes": 10, "etag": None}],
        {"version": "r1", "rows_total": 3, "first_date": "2020-03-01", "last_date": "2020-03-03"})
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


def test_a_live_claim_is_held_elsewhere_until_its_lease_lapses(ledger: RunLedger) -> None:
    from shared.idempotency import ClaimedElsewhere

    ledger.claims.claim("load", "m3")
    with pytest.raises(ClaimedElsewhere):
        ledger.claims.claim("load", "m3")
    time.sleep(3.1)  # lease_s=2, in whole seconds
    assert ledger.claims.claim("load", "m3").fresh


def test_the_load_lock_keeps_two_holders_apart(ledger: RunLedger) -> None:
    order: list[str] = []
    with ledger.lock("load", owner="run-a"):
        waiter = threading.Thread(target=lambda: _hold(ledger, "run-b", order))
        waiter.start()
        time.sleep(1.0)
        order.append("a-done")
    waiter.join(10)
    assert order == ["a-done", "b-got-it"]


def _hold(ledger: RunLedger, owner: str, order: list[str]) -> None:
    with ledger.lock("load", owner=owner, wait_s=10):
        order.append("b-got-it")


def test_a_held_lock_is_renewed_past_its_lease(ledger: RunLedger) -> None:
    with ledger.lock("load", owner="slow-run"):  # lease 2 s, renewed every 2/3 s
        time.sleep(3.5)
        with pytest.raises(TimeoutError):
            with ledger.lock("load", owner="other-run", wait_s=1):
                pass


def test_a_dead_holders_lock_lapses(ledger: RunLedger) -> None:
    # what a SIGKILLed holder leaves: its item, never renewed again
    ledger.table.put_item(Item={"pk": "lock", "sk": "load", "owner": "dead", "lease_until": int(time.time()) + 1})
    started = time.monotonic()
    with ledger.lock("load", owner="next-run", wait_s=10):
        waited = time.monotonic() - started
    assert 0.2 < waited < 4
