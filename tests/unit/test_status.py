"""`covid-etl status`'s verdict from what it read: what needs a person, what is only a warning."""

from __future__ import annotations

from datetime import UTC, date, datetime

from covid_etl.status import Depth, Process, RunBrief, Status, assess, brief, freshness, render
from shared.runs import Run

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DAY = 86400


def run(run_id: str, status: str, age_s: int, **fields: object) -> RunBrief:
    return RunBrief(run_id=run_id, status=status, trigger="schedule", age_s=age_s, **fields)  # type: ignore[arg-type]


def healthy(**fields: object) -> Status:
    base: dict[str, object] = dict(
        stack="local", where="here", checked_at=NOW.isoformat(), stale_after_days=3,
        processes=[Process(name="extractor", pid=1, up=True), Process(name="api", up=True)],
        last_run=run("r2", "no_change", 3600), last_success=run("r2", "no_change", 3600),
        queues=[Depth(queue=q, waiting=0, in_flight=0, dead_letters=0) for q in ("extractor", "loader")])
    return assess(Status.model_validate({**base, **fields}))


def test_a_recent_success_and_empty_dlqs_are_healthy() -> None:
    status = healthy()
    assert (status.healthy, status.problems, status.warnings) == (True, [], [])
    assert render(status).splitlines()[0] == "covid-etl status: healthy"
    assert status.model_dump(mode="json")["healthy"] is True


def test_a_dead_letter_needs_a_person_and_names_the_replay() -> None:
    status = healthy(queues=[Depth(queue="loader", waiting=0, in_flight=0, dead_letters=2)])
    assert not status.healthy
    assert status.problems == ["2 message(s) in the loader DLQ: look with `covid-etl replay --dlq load --dry-run`, "
                               "fix the cause, then `covid-etl replay --dlq load`"]
    assert "NEEDS A PERSON (1 problem(s))" in render(status)


def test_no_success_ever_or_none_within_the_window_needs_a_person() -> None:
    failed = run("r1", "failed", 60, stage="extract", error="nyt: cannot connect")
    never = healthy(last_run=failed, last_success=None)
    assert never.problems == ["no run has succeeded yet; the last one failed: nyt: cannot connect"]
    old = healthy(last_run=failed, last_success=run("r0", "succeeded", 3 * DAY + 1))
    assert old.problems == ["no successful run in the last 3 days (the last one ended 3 days ago)"]
    assert old.warnings == ["the last run failed in extract: nyt: cannot connect"]
    recent = healthy(last_run=failed, last_success=run("r0", "succeeded", 3 * DAY - 1))
    assert recent.healthy and recent.warnings == ["the last run failed in extract: nyt: cannot connect"]


def test_a_process_down_needs_a_person() -> None:
    status = healthy(processes=[Process(name="loader", pid=7, up=False)])
    assert status.problems == ["loader is not running"]
    assert "loader DOWN (pid 7)" in render(status)


def test_stale_sources_are_warnings_only() -> None:
    sources = freshness({"nyt": {"last_date": "2026-11-28"}, "jhu": {"last_date": "2021-03-16"}}, date(2026, 11, 29), 3)
    assert [(s.name, s.days_behind, s.stale) for s in sources] == [("jhu", 2084, True), ("nyt", 1, False)]
    status = healthy(sources=sources)
    assert status.healthy and status.warnings == ["jhu is stale: its latest date is 2021-03-16, 2084 days ago"]


def test_ages_count_from_the_end_or_from_the_start_while_running() -> None:
    ended = Run(run_id="a", status="succeeded", started_at="2026-11-29T10:00:00+00:00",
                finished_at="2026-11-29T11:00:00+00:00")
    going = Run(run_id="b", status="running", started_at="2026-11-29T11:59:00+00:00")
    assert brief(ended, NOW).age_s == 3600  # type: ignore[union-attr]
    assert brief(going, NOW).age_s == 60  # type: ignore[union-attr]
    assert brief(None, NOW) is None
