"""What a run's announcement says, for each way a run can end."""

from __future__ import annotations

from datetime import date

from services.notifier.announce import subject, summary
from shared.messages import DatasetLoadedV1, SourcesUnchangedV1, SourceVersion, StageFailedV1, make_message

SOURCE = SourceVersion(name="nyt", url="http://x/nyt.csv", key="raw/nyt/abc.csv", sha256="abc", bytes=10,
                       changed=True, last_date=date(2020, 3, 5))


def test_succeeded() -> None:
    loaded = DatasetLoadedV1(inserted=3, updated=2, unchanged=7, rows_total=12, first_date=date(2020, 3, 1),
                             last_date=date(2020, 3, 12), sources=[SOURCE], warnings=["nyt cases went down"])
    body = summary(make_message(loaded, run_id="r1", producer="load"))
    assert body["status"] == "succeeded" and body["run_id"] == "r1"
    assert (body["inserted"], body["updated"], body["unchanged"], body["rows_total"]) == (3, 2, 7, 12)
    assert (body["first_date"], body["last_date"]) == ("2020-03-01", "2020-03-12")
    assert body["warnings"] == ["nyt cases went down"] and body["error"] is None
    assert body["sources"][0]["last_date"] == "2020-03-05"
    assert body["text"] == ("covid-etl run r1 succeeded: 3 rows inserted, 2 updated, 7 unchanged "
                            "(2020-03-01 to 2020-03-12).")
    assert subject(body) == "covid-etl: run succeeded, 3 inserted, 2 updated"


def test_succeeded_with_no_dates() -> None:
    loaded = DatasetLoadedV1(inserted=0, updated=0, unchanged=0, rows_total=0, first_date=None,
                             last_date=None, sources=[])
    assert "(no dates)" in summary(make_message(loaded, run_id="r", producer="load"))["text"]


def test_no_change() -> None:
    body = summary(make_message(SourcesUnchangedV1(sources=[SOURCE]), run_id="r2", producer="extract"))
    assert (body["status"], body["inserted"], body["updated"]) == ("no_change", 0, 0)
    assert "no change" in body["text"]
    assert subject(body) == "covid-etl: run found no change"


def test_failed_names_stage_reason_and_raw_keys() -> None:
    failed = StageFailedV1(stage="transform", reason="nyt: got an HTML page instead of CSV",
                           raw_keys=["raw/nyt/1.csv", "raw/jhu/2.csv"])
    body = summary(make_message(failed, run_id="r3", producer="transform"))
    assert (body["status"], body["stage"], body["error"]) == ("failed", "transform", failed.reason)
    assert "FAILED in transform: nyt: got an HTML page instead of CSV." in body["text"]
    assert "raw/nyt/1.csv, raw/jhu/2.csv" in body["text"]
    assert "keeps its last good state" in body["text"]
    assert subject(body) == "covid-etl: run FAILED in transform"


def test_failed_without_raw_keys_says_nothing_about_them() -> None:
    body = summary(make_message(StageFailedV1(stage="extract", reason="HTTP 404"), run_id="r", producer="x"))
    assert "Raw input" not in body["text"]
