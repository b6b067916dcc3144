"""The announcement a person reads, for each way a run can end: subject, text, next step."""

from __future__ import annotations

from datetime import date

from services.notifier.letter import body, next_step, subject, text
from shared.messages import SourceVersion
from shared.runs import Run

NYT = SourceVersion(name="nyt", url="http://x/nyt.csv", key="raw/nyt/abc.csv", sha256="abcdef0123456789", bytes=12345,
                    changed=True, last_date=date(2020, 3, 12))
JHU = SourceVersion(name="jhu", url="http://x/jhu.csv", key="raw/jhu/def.csv", sha256="0123456789abcdef", bytes=99,
                    changed=False, last_date=date(2020, 3, 14))


def ended(status: str, **fields: object) -> Run:
    return Run.model_validate({"run_id": "r1", "status": status, **fields})


def test_a_success_says_counts_dates_sources_and_lists_warnings() -> None:
    run = ended("succeeded", inserted=3, updated=2, unchanged=7, rows_total=12, first_date="2020-03-01",
                last_date="2020-03-12", sources=[NYT, JHU], warnings=["nyt cases went down on 2020-03-04", "w2"])
    assert subject(run) == "covid-etl: run succeeded, 3 inserted, 2 updated (2 warnings)"
    lines = text(run, "http://dash/").splitlines()
    assert lines[0] == "covid-etl run r1 succeeded: 3 rows inserted, 2 updated, 7 unchanged (2020-03-01 to 2020-03-12)."
    assert "  inserted   3" in lines and "  rows now   12" in lines and "Date range   2020-03-01 to 2020-03-12" in lines
    assert ("  nyt: changed, 12,345 bytes, sha256 abcdef012345, latest date 2020-03-12 (http://x/nyt.csv)"
            in lines)
    assert "  jhu: unchanged, 99 bytes, sha256 0123456789ab, latest date 2020-03-14 (http://x/jhu.csv)" in lines
    assert lines[lines.index("Warnings (2)") + 1:][:2] == ["  - nyt cases went down on 2020-03-04", "  - w2"]
    assert "Dashboard: http://dash/" in lines
    assert next_step(run) is None and "What to do next" not in lines


def test_no_change_says_so_and_the_table_as_it_stands() -> None:
    run = ended("no_change", inserted=0, updated=0, unchanged=12, rows_total=12, first_date="2020-03-01",
                last_date="2020-03-12", sources=[JHU])
    assert subject(run) == "covid-etl: run found no change"
    body = text(run)
    assert body.startswith("covid-etl run r1: no change, no source has changed since the last load.\n")
    assert "  rows now   12" in body and "Dashboard" not in body


def test_a_failure_says_why_what_is_kept_and_what_to_do_next() -> None:
    run = ended("failed", stage="transform", error="nyt: got an HTML page instead of CSV",
                raw_keys=["raw/nyt/1.csv", "raw/jhu/2.csv"], rows_total=12, first_date="2020-03-01",
                last_date="2020-03-12", inserted=0, updated=0)
    assert subject(run) == "covid-etl: run FAILED in transform"
    assert next_step(run) == "covid-etl replay --run r1 --from transform"
    lines = text(run, "http://dash/").splitlines()
    assert lines[0] == "covid-etl run r1 FAILED in transform: nyt: got an HTML page instead of CSV."
    assert lines[lines.index("Raw input kept at:") + 1:][:2] == ["  raw/nyt/1.csv", "  raw/jhu/2.csv"]
    assert "The table keeps its last good state: 12 rows, 2020-03-01 to 2020-03-12." in lines
    steps = lines[lines.index("What to do next"):]
    assert "       covid-etl replay --run r1 --from transform" in steps
    assert "     or, if a message was dead-lettered: covid-etl replay --dlq transform" in steps


def test_a_failure_without_raw_input_says_nothing_about_it_and_subjects_fit_sns() -> None:
    run = ended("failed", stage="extract", error="HTTP 404")
    assert "Raw input" not in text(run)
    assert len(subject(ended("no_change", warnings=["w"] * 10**4))) <= 100


def test_the_json_body_carries_the_fields_the_text_the_next_step_and_the_link() -> None:
    run = ended("failed", stage="load", error="ValidationException", rows_total=12, inserted=0, updated=0,
                sources=[NYT], warnings=["w"])
    got = body(run, "http://dash/")
    assert (got["run_id"], got["status"], got["stage"], got["error"], got["rows_total"]) == (
        "r1", "failed", "load", "ValidationException", 12)
    assert got["sources"] == [NYT.model_dump(mode="json")] and got["warnings"] == ["w"]
    assert got["text"] == text(run, "http://dash/") and got["next_step"] == "covid-etl replay --run r1 --from load"
    assert got["dashboard_url"] == "http://dash/"
    assert body(ended("no_change"))["dashboard_url"] is None


EVERY = {"inserted": 274, "updated": 116, "unchanged": 114_690, "rows_total": 115_080, "regions": 284}
TOP = [{"region": r, "name": n, "inserted": 1, "updated": u}
       for r, n, u in [("US", "United States", 9), ("FR", "France", 7), ("GB", "United Kingdom", 5),
                       ("CA-ontario", "Ontario", 3), ("HK", "Hong Kong", 2)]]


def test_a_load_of_every_region_says_the_totals_the_us_counts_and_the_five_most_changed() -> None:
    run = ended("succeeded", inserted=1, updated=9, unchanged=410, rows_total=420, first_date="2020-01-22",
                last_date="2021-03-16", all=EVERY, regions=TOP, loaded_at="2021-03-17T06:00:00.000+00:00")
    assert subject(run) == "covid-etl: run succeeded, 274 inserted, 116 updated in 284 regions"
    lines = text(run).splitlines()
    assert lines[0] == ("covid-etl run r1 succeeded: 274 rows inserted, 116 updated, 114690 unchanged in 284 "
                        "regions (2020-01-22 to 2021-03-16).")
    assert lines[1] == "United States: 1 rows inserted, 9 updated, 410 unchanged."
    counts = lines[lines.index(next(x for x in lines if x.startswith("Counts"))):][:5]
    assert [line.split() for line in counts[1:]] == [["inserted", "274", "1"], ["updated", "116", "9"],
                                                     ["unchanged", "114690", "410"], ["rows", "now", "115080", "420"]]
    top = lines[lines.index("Most changed regions") + 1:][:6]
    assert top[:5] == ["  United States (US): 1 inserted, 9 updated", "  France (FR): 1 inserted, 7 updated",
                       "  United Kingdom (GB): 1 inserted, 5 updated", "  Ontario (CA-ontario): 1 inserted, 3 updated",
                       "  Hong Kong (HK): 1 inserted, 2 updated"] and top[5] == ""
    assert body(run)["all"] == EVERY and body(run)["loaded_at"] == "2021-03-17T06:00:00.000+00:00"


def test_the_email_stays_short_however_many_regions_warn() -> None:
    """A format-1 load after a load of every region warns once per region it lacks (283): the email lists
    ten and counts the rest, so that it stays a page a person reads; the JSON body keeps them all."""
    warnings = [f"region R{i} ('Region {i}') is no longer in the JHU file; its rows are kept" for i in range(283)]
    run = ended("succeeded", inserted=1, updated=0, unchanged=419, rows_total=420, all=EVERY, regions=TOP,
                warnings=warnings, sources=[NYT, JHU])
    lines = text(run, "http://dash/").splitlines()
    assert len(lines) < 40 and "  ... and 273 more (covid-etl runs --json)" in lines
    assert body(run)["warnings"] == warnings
