"""A running faulty stack plus what the table must hold: shared by the tests of one suite."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from support.reference import Row, load_counts, reference, table_after
from support.sources import SourceServer
from support.stack import Stack

from support_faults import report
from support_faults.harness import Emulator, FaultStack
from support_faults.proxy import FaultProxy
from support_faults.versions import version


@dataclass
class Lab:
    stack: FaultStack
    proxy: FaultProxy
    moto: Emulator
    sources: SourceServer
    expected: list[Row]  # the table after the last good load
    k: int = 0
    loaded: list[Row] = field(default_factory=list)

    def publish(self) -> tuple[list[Row], list[Row]]:
        """Publish the next source version; returns (table now, the version's rows)."""
        self.k += 1
        pair = version(self.k)
        self.sources.put_pair(pair)
        self.loaded = reference(pair)
        return self.expected, self.loaded

    def counts(self) -> dict[str, int]:
        """What loading the published version over the last good table must report."""
        return load_counts(self.expected, self.loaded)

    def want(self) -> list[Row]:
        return table_after(self.expected, self.loaded)

    def commit(self) -> None:
        self.expected = self.want()

    def notes(self, run_id: str) -> list[Any]:
        """Every notification of a run so far."""
        return [n for n in self.stack.notifications() if n.body.get("run_id") == run_id]

    def until(self, check: Any, timeout: float, what: str) -> Any:
        try:
            return Stack._wait(check, timeout, what)
        except TimeoutError:
            raise AssertionError(f"{what}\n{self.stack.logs()}") from None

    def check_loaded(self, run_id: str, name: str, outcome: str) -> None:
        """The run succeeded with exact counts, the table is complete, one notification says so."""
        lab, stack = self, self.stack
        run = stack.wait_run(run_id)
        assert run["status"] == "succeeded", run
        counts = lab.counts()
        assert {k: int(run[k]) for k in counts} == counts
        assert stack.table() == lab.want()
        stack.idle()
        notes = lab.notes(run_id)
        assert len(notes) == 1 and notes[0].body["status"] == "succeeded"
        assert f"{counts['inserted']} rows inserted, {counts['updated']} updated" in notes[0].body["text"]
        lab.commit()
        assert report.record("fault", name, outcome, notes[0].body["text"], lab.expected, stack.table()) == 0
