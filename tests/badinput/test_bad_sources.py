"""One run per bad input on the running stack: failed (or accepted) with the reason named in the
ledger and the notification, the raw input kept in S3, the table left at its last good state."""

from __future__ import annotations

import hashlib

import pytest
from support_faults import report

from badinput.cases import CASES, Case
from badinput.conftest import Bench


def raw_key(source: str, data: str | bytes) -> str:
    blob = data if isinstance(data, bytes) else data.encode()
    return f"raw/{source}/{hashlib.sha256(blob).hexdigest()}.csv"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(bench: Bench, case: Case) -> None:
    stack, sources = bench.stack, bench.sources
    sources.serve(case.nyt, case.jhu)
    if case.http:
        name, how, value = case.http
        (sources.fail(name, int(value)) if how == "fail" else sources.hang(name, value))
    result = stack.run(expect_rc=(0,) if case.accepted else (1,))
    run_id = result["run_id"]
    note = stack.notification(run_id)
    table = stack.table()
    if case.accepted:
        assert result["status"] == "succeeded", result
        assert (result["inserted"], result["updated"]) == (0, 0)
        assert result["unchanged"] == len(bench.good)
        assert note.body["status"] == "succeeded"
        assert "0 rows inserted, 0 updated" in note.body["text"]
        outcome = "accepted: succeeded, 0 inserted, 0 updated"
    else:
        assert result["status"] == "failed", result
        assert case.reason in result["error"], result["error"]
        run = next(r for r in stack.runs() if r["sk"] == run_id)
        assert case.reason in run["error"] and run[f"stage_{case.stage}"]["status"] == "failed"
        assert note.attributes["status"] == "failed"
        assert note.subject == f"covid-etl: run FAILED in {case.stage}"
        assert case.reason in note.body["text"] and "keeps its last good state" in note.body["text"]
        assert note.body["rows_total"] == len(bench.good)
        if case.stage == "transform":  # the raw bytes were downloaded: both kept, and named
            s3 = stack.client("s3")
            for source, data in (("nyt", case.nyt), ("jhu", case.jhu)):
                key = raw_key(source, data)
                assert s3.head_object(Bucket=stack.setting("COVID_ETL_BUCKET"), Key=key)["ContentLength"] == \
                    len(data.encode() if isinstance(data, str) else data)
                assert key in note.body["text"]
        outcome = f"failed in {case.stage}"
    assert table == bench.good
    lost = report.record("bad input", case.name, outcome, note.body["text"].splitlines()[0].split(": ", 1)[-1],
                         bench.good, table)
    assert lost == 0
