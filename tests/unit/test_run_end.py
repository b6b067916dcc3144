"""How each way a run can end is recorded (`shared.run_end`): the fields the runtime closes the run with."""

from __future__ import annotations

from datetime import date

from shared.ledger import DatasetVersion
from shared.messages import DatasetLoadedV1, SourcesUnchangedV1, SourceVersion, StageFailedV1
from shared.run_end import Terminal, run_end
from shared.runs import RunEnd

SOURCE = SourceVersion(name="nyt", url="http://x/nyt.csv", key="raw/nyt/abc.csv", sha256="abc", bytes=10,
                       changed=True, last_date=date(2020, 3, 5))
TABLE: DatasetVersion = {"version": "v0", "rows_total": 9, "first_date": "2020-03-01", "last_date": "2020-03-09"}


def ended(event: Terminal, today: date = date(2020, 3, 6)) -> RunEnd:
    return run_end(event, TABLE, finished_at="2020-03-06T00:00:00.000+00:00", today=today, stale_after_days=3)


def test_succeeded_with_the_loads_counts() -> None:
    loaded = DatasetLoadedV1(inserted=3, updated=2, unchanged=7, rows_total=12, first_date=date(2020, 3, 1),
                             last_date=date(2020, 3, 12), sources=[SOURCE], warnings=["nyt cases went down"])
    end = ended(loaded)
    assert (end.status, end.inserted, end.updated, end.unchanged, end.rows_total) == ("succeeded", 3, 2, 7, 12)
    assert (end.first_date, end.last_date) == (date(2020, 3, 1), date(2020, 3, 12))
    assert end.warnings == ["nyt cases went down"] and end.error is None and end.sources == [SOURCE]


def test_no_change_reports_the_table_as_it_stands() -> None:
    end = ended(SourcesUnchangedV1(sources=[SOURCE]))
    assert (end.status, end.inserted, end.updated) == ("no_change", 0, 0)
    assert (end.rows_total, end.unchanged, end.last_date) == (9, 9, date(2020, 3, 9))


def test_failed_names_stage_reason_and_raw_keys() -> None:
    failed = StageFailedV1(stage="transform", reason="nyt: got an HTML page instead of CSV",
                           raw_keys=["raw/nyt/1.csv", "raw/jhu/2.csv"])
    end = ended(failed)
    assert (end.status, end.stage, end.error, end.raw_keys) == ("failed", "transform", failed.reason, failed.raw_keys)
    assert (end.inserted, end.updated, end.rows_total) == (0, 0, 9)


def test_a_source_behind_by_more_than_the_limit_is_warned_about() -> None:
    assert ended(SourcesUnchangedV1(sources=[SOURCE]), today=date(2020, 3, 9)).warnings == [
        "nyt is stale: its latest date is 2020-03-05, 4 days ago (warning after 3 days)"]
    assert ended(SourcesUnchangedV1(sources=[SOURCE]), today=date(2020, 3, 8)).warnings == []
