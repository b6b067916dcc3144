"""What a run's announcement carries, for each way a run can end (its words: test_letter.py)."""

from __future__ import annotations

from datetime import date

from services.notifier.announce import summary
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


def test_no_change() -> None:
    body = summary(make_message(SourcesUnchangedV1(sources=[SOURCE]), run_id="r2", producer="extract"))
    assert (body["status"], body["inserted"], body["updated"]) == ("no_change", 0, 0)
    assert body["sources"][0]["name"] == "nyt"


def test_failed_names_stage_reason_and_raw_keys() -> None:
    failed = StageFailedV1(stage="transform", reason="nyt: got an HTML page instead of CSV",
                           raw_keys=["raw/nyt/1.csv", "raw/jhu/2.csv"])
    body = summary(make_message(failed, run_id="r3", producer="transform"))
    assert (body["status"], body["stage"], body["error"]) == ("failed", "transform", failed.reason)
    assert body["raw_keys"] == ["raw/nyt/1.csv", "raw/jhu/2.csv"]
