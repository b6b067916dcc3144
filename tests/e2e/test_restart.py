"""State that survives a restart: `covid-etl up` stopped cleanly and started again in the same folder
keeps the table and the run history (`.covid-etl/state/`), and its first run finds no change; a
SIGKILL loses only what happened after the last run ended; `up --fresh` starts empty."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

from support import fixtures
from support.reference import reference
from support.sources import SourceServer
from support.stack import FINAL, Stack


def startup_run(stack: Stack, known: set[str], timeout: float = 90) -> dict[str, Any]:
    """The startup run of this start of the stack (not one restored from before), once it has ended."""
    def ended() -> dict[str, Any] | None:
        runs = [r for r in stack.runs() if r.get("trigger") == "startup" and r["run_id"] not in known]
        return runs[-1] if runs and runs[-1].get("status") in FINAL else None
    try:
        return stack._wait(ended, timeout, "the startup run did not end")
    except TimeoutError as error:
        raise TimeoutError(f"{error}\n{stack.logs()}") from None


def history(stack: Stack) -> dict[str, dict[str, Any]]:
    return {run["run_id"]: run for run in stack.runs()}


def announced(stack: Stack, run_id: str) -> None:
    stack._wait(lambda: (history(stack)[run_id].get("stage_notify") or {}).get("status") == "succeeded", 30,
                f"run {run_id} was not announced")


def test_table_and_history_survive_a_clean_stop_and_a_crash_loses_only_unfinished_work(tmp_path: Path) -> None:
    folder = tmp_path / "stack"
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(fixtures.old_pair())
        nyt, jhu = sources.url("nyt.csv"), sources.url("jhu.csv")
        want = reference(fixtures.old_pair())

        with Stack.up(folder, nyt, jhu) as stack:
            first = stack.first_run()
            assert first["status"] == "succeeded" and int(first["inserted"]) == len(want), stack.logs()
            announced(stack, first["run_id"])  # the notifier records its stage after the run's end
            before = history(stack)
        assert "saved" in (folder / "up.log").read_text()  # on the clean stop
        assert (folder / ".covid-etl" / "state" / "table.jsonl").is_file()

        with Stack.up(folder, nyt, jhu) as stack:
            again = startup_run(stack, set(before))
            assert again["status"] == "no_change", stack.logs()
            assert (int(again["inserted"]), int(again["updated"])) == (0, 0)
            assert stack.table() == want
            after = history(stack)
            assert {k: after[k] for k in before} == before  # the same records, field for field
            with urllib.request.urlopen(f"{stack.api}/api/v1/daily", timeout=10) as response:
                assert len(json.load(response)["data"]) == len(want)  # the API serves the restored table
            saved = folder / ".covid-etl" / "state" / "table.jsonl"
            stack._wait(lambda: again["run_id"] in saved.read_text(), 30, "the ended run was not saved")
            stack.kill()  # a crash: nothing is saved now, but the no-change run was saved when it ended

        with Stack.up(folder, nyt, jhu) as stack:
            third = startup_run(stack, set(after))
            assert third["status"] == "no_change", stack.logs()
            assert set(after) <= set(history(stack))
            assert stack.table() == want

        with Stack.up(folder, nyt, jhu, up_args=("--fresh",)) as stack:
            fresh = stack.first_run()
            assert (fresh["status"], int(fresh["inserted"])) == ("succeeded", len(want)), stack.logs()
            assert len(stack.runs()) == 1
