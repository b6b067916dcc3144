"""The four services as separate processes on the embedded stack: a first load, a later version of
the sources, and a run with unchanged sources, checked against an independent reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import fixtures
from support.reference import load_counts, reference, table_after
from support.sources import SourceServer
from support.stack import Stack

from tests.support.tiers import no_real_data

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def real_pairs() -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    if not DATA.is_dir():
        no_real_data("../shared/data not found (real source snapshots are not beside this clone)")
    old = (DATA / "nyt" / "us-2020-08-13.csv", DATA / "jhu" / "time-series-19-covid-combined-2020-09-25.csv")
    new = (DATA / "nyt" / "us.csv", DATA / "jhu" / "time-series-19-covid-combined.csv")
    return old, new


def scenario(tmp_path: Path, old: tuple, new: tuple) -> None:
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(old)
        with Stack.up(tmp_path / "stack", sources.url("nyt.csv"), sources.url("jhu.csv")) as stack:
            first = stack.first_run()
            want_first = reference(old)
            assert first["status"] == "succeeded", stack.logs()
            assert int(first["inserted"]) == len(want_first)
            assert stack.table() == want_first
            stack.subscribe()

            sources.put_pair(new)
            second = stack.run()
            want = table_after(want_first, reference(new))
            counts = load_counts(want_first, reference(new))
            assert second["status"] == "succeeded"
            assert {k: second[k] for k in counts} == counts
            assert stack.table() == want
            note = stack.notification(second["run_id"])
            assert note.attributes["status"] == "succeeded"
            assert (note.body["inserted"], note.body["updated"]) == (counts["inserted"], counts["updated"])
            assert f"{counts['inserted']} rows inserted, {counts['updated']} updated" in note.body["text"]

            third = stack.run()
            assert third["status"] == "no_change"
            assert (third["inserted"], third["updated"]) == (0, 0)
            assert stack.table() == want
            note = stack.notification(third["run_id"])
            assert note.attributes["status"] == "no_change"
            assert "no change" in note.body["text"]
            assert [s["changed"] for s in third["sources"].values()] == [False, False]


def test_fixture_sources_load_then_update_then_no_change(tmp_path: Path) -> None:
    scenario(tmp_path, fixtures.old_pair(), fixtures.new_pair())


@pytest.mark.realdata
def test_real_sources_load_then_update_then_no_change(tmp_path: Path) -> None:
    old, new = real_pairs()
    scenario(tmp_path, old, new)
