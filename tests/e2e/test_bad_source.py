"""A bad source (an HTML page where the CSV should be) fails the run, says why, and writes nothing."""

from __future__ import annotations

from pathlib import Path

from support import fixtures
from support.reference import reference
from support.sources import SourceServer
from support.stack import Stack


def test_html_page_fails_the_run_names_the_reason_and_leaves_the_table(tmp_path: Path) -> None:
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(fixtures.old_pair())
        with Stack.up(tmp_path / "stack", sources.url("nyt.csv"), sources.url("jhu.csv")) as stack:
            assert stack.first_run()["status"] == "succeeded", stack.logs()
            before = stack.table()
            assert before == reference(fixtures.old_pair())
            stack.subscribe()

            sources.put({"nyt.csv": fixtures.html_page(), "jhu.csv": fixtures.new_pair()[1]})
            result = stack.run(expect_rc=(1,))
            assert result["status"] == "failed"
            assert "nyt: got an HTML page instead of CSV" in result["error"]
            assert stack.table() == before

            note = stack.notification(result["run_id"])
            assert note.attributes["status"] == "failed"
            assert note.subject == "covid-etl: run FAILED in transform"
            assert "HTML page instead of CSV" in note.body["text"]
            assert "raw/nyt/" in note.body["text"]  # where the bad file is kept, to look at it
            assert note.body["rows_total"] == len(before)  # what the table still holds
