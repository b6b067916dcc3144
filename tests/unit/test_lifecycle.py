"""A run's one owner (`shared.lifecycle`): the moves it makes, and the ones it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from support.fakes import FakeLedger

from shared.clock import FakeClock
from shared.lifecycle import RunLifecycle
from shared.messages import DatasetLoadedV1, DatasetSupersededV1, SourcesUnchangedV1, StageFailedV1
from shared.run_end import Terminal
from shared.runs import ENTERED_FROM, FINAL, IllegalTransition, RunStatus, StageRecord, check_transition

RUNNING = StageRecord(status="running", started_at="2020-04-07T12:00:00.000+00:00")
DONE = StageRecord(status="succeeded", duration_ms=3)
LOADED = DatasetLoadedV1(inserted=2, updated=1, unchanged=4, rows_total=7, first_date=date(2020, 3, 1),
                         last_date=date(2020, 3, 7), sources=[])
FAILED = StageFailedV1(stage="load", reason="the table is unreachable")


@pytest.fixture
def ledger() -> FakeLedger:
    ledger = FakeLedger()
    ledger.dataset = {"version": "r0", "rows_total": 7, "first_date": "2020-03-01", "last_date": "2020-03-07"}
    return ledger


def lifecycle(ledger: FakeLedger, run_id: str = "r1") -> RunLifecycle:
    return RunLifecycle(ledger, run_id, clock=FakeClock(datetime(2020, 4, 7, 12, tzinfo=UTC).timestamp()))


def test_a_run_starts_running_records_its_stages_and_ends_once(ledger: FakeLedger) -> None:
    run = lifecycle(ledger)
    run.start("cli", "extract", RUNNING)
    run.record("extract", DONE)
    assert ledger.items["r1"].status == "running" and ledger.items["r1"].trigger == "cli"
    end = run.end(LOADED, ("load", DONE))
    stored = ledger.items["r1"]
    assert (end.status, stored.status, stored.inserted, stored.stages["load"]) == ("succeeded", "succeeded", 2, DONE)


@pytest.mark.parametrize(("event", "status"), [(SourcesUnchangedV1(sources=[]), "no_change"),
                                               (DatasetSupersededV1(by="r2", first_date=None, last_date=None,
                                                                    sources=[], warnings=["superseded: r2"]),
                                                "no_change"),
                                               (FAILED, "failed")])
def test_an_end_without_a_load_reports_the_table_as_it_stands(ledger: FakeLedger, event: object,
                                                              status: RunStatus) -> None:
    run = lifecycle(ledger)
    run.start("cli", "extract", RUNNING)
    end = run.end(event, ("load", DONE))  # type: ignore[arg-type]
    assert (end.status, end.rows_total, end.unchanged, end.inserted) == (status, 7, 7, 0)


def test_given_up_and_interrupted_are_ends_of_their_own(ledger: FakeLedger) -> None:
    gave_up, cut_short = lifecycle(ledger, "r1"), lifecycle(ledger, "r2")
    for run in (gave_up, cut_short):
        run.start("cli", "extract", RUNNING)
    gave_up.give_up(FAILED, ("load", StageRecord(status="failed", error=FAILED.reason)))
    cut_short.interrupt("interrupted: the stack stopped")
    assert (ledger.items["r1"].status, ledger.items["r1"].error, ledger.items["r1"].stage) == \
        ("gave_up", FAILED.reason, "load")
    assert (ledger.items["r2"].status, ledger.items["r2"].error) == ("interrupted", "interrupted: the stack stopped")
    assert all(ledger.items[r].ended for r in ("r1", "r2"))


def test_a_replay_ends_a_failed_run_anew(ledger: FakeLedger) -> None:
    run = lifecycle(ledger)
    run.start("cli", "extract", RUNNING)
    run.give_up(FAILED, ("load", DONE))
    run.start("replay", "extract", RUNNING)  # keeps the run's status
    assert ledger.items["r1"].status == "gave_up"
    run.end(LOADED, ("load", DONE))
    assert (ledger.items["r1"].status, ledger.items["r1"].error) == ("succeeded", None)


@pytest.mark.parametrize(("before", "move"), [
    ("succeeded", "give_up"),  # a message given up on after the run ended well does not fail it
    ("no_change", "give_up"),
    ("succeeded", "interrupt"),  # only a run in progress is cut short
    ("failed", "interrupt"),
    (None, "interrupt"),
])
def test_an_illegal_move_is_an_error_and_changes_nothing(ledger: FakeLedger, before: RunStatus | None,
                                                         move: str) -> None:
    run = lifecycle(ledger)
    if before is not None:
        run.start("cli", "extract", RUNNING)
        ends: dict[str, Terminal] = {"succeeded": LOADED, "no_change": SourcesUnchangedV1(sources=[]),
                                     "failed": FAILED}
        run.end(ends[before], ("extract", DONE))
    was = ledger.items.get("r1")
    with pytest.raises(IllegalTransition, match=f"cannot go from {before or 'nothing'} to "):
        if move == "give_up":
            run.give_up(FAILED, ("load", DONE))
        else:
            run.interrupt("stopped")
    assert ledger.items.get("r1") == was


def test_no_run_goes_back_to_running_and_a_running_run_may_end_in_any_way() -> None:
    for status in FINAL:
        with pytest.raises(IllegalTransition):
            check_transition("r", status, "running")
        check_transition("r", "running", status)
    assert set(ENTERED_FROM) == {"running", *FINAL}
