"""The one owner of a run's status: `RunLifecycle`, through which every start and end of a run goes.

A run is `running` from its start (the record of the stage that opens it) through its stages'
records, then ends: `succeeded`, `no_change` or `failed` from the event that ends it
(`shared.run_end`), `gave_up` when the queue gave up on one of its messages, `interrupted` when the
embedded stack stopped with its messages in flight. Which moves are allowed is declared once
(`shared.runs.ENTERED_FROM`) and checked by the store's write itself (`Runs.close`): an illegal move
is `IllegalTransition` and writes nothing. Its users: the stage runtime (`shared.stage`: starts,
records, ends, gives up), the poison path (`shared.runtime.service`: a message of the wrong kind
fails its run), the restart path (`covid_etl.state`: interrupted runs) and, through its
`DatasetSupersededV1`, the loader's superseded load.
"""

from __future__ import annotations

from shared.clock import SYSTEM, Clock, now_iso, today
from shared.ledger import Ledger
from shared.messages import DatasetLoadedV1, StageFailedV1
from shared.metrics import record_run_outcome
from shared.run_end import Terminal, run_end
from shared.runs import RunEnd, StageRecord
from shared.topology import Stage


class RunLifecycle:
    """One run's moves, made in `ledger`."""

    def __init__(self, ledger: Ledger, run_id: str, *, clock: Clock = SYSTEM, stale_after_days: int = 3) -> None:
        self.ledger, self.run_id, self.clock, self.stale_after_days = ledger, run_id, clock, stale_after_days

    def start(self, trigger: str, stage: Stage, record: StageRecord) -> None:
        """The stage that opens the run records itself; a new run is `running` (a replay keeps its status)."""
        self.ledger.open(self.run_id, trigger, stage, record)

    def record(self, stage: Stage, record: StageRecord) -> None:
        """A stage's record; the run's status does not move."""
        self.ledger.record_stage(self.run_id, stage, record)

    def end(self, event: Terminal, last: tuple[Stage, StageRecord]) -> RunEnd:
        """End the run as `event` says, with the record of the stage that ends it (one write). A load's end
        carries its own counts; any other reports the table as it stands."""
        table = None if isinstance(event, DatasetLoadedV1) else self.ledger.dataset_version()
        return self._close(run_end(event, table, finished_at=now_iso(self.clock), today=today(self.clock),
                                   stale_after_days=self.stale_after_days), last)

    def give_up(self, failed: StageFailedV1, last: tuple[Stage, StageRecord]) -> RunEnd:
        """The queue gave up on a message of the run (it is in the DLQ): `gave_up`, with the reason."""
        end = run_end(failed, self.ledger.dataset_version(), finished_at=now_iso(self.clock),
                      today=today(self.clock), stale_after_days=self.stale_after_days)
        return self._close(end.model_copy(update={"status": "gave_up"}), last)

    def interrupt(self, reason: str) -> RunEnd:
        """The run's messages are gone (a stack stopped with the run in progress): `interrupted`."""
        return self._close(RunEnd(status="interrupted", finished_at=now_iso(self.clock), error=reason), None)

    def _close(self, end: RunEnd, last: tuple[Stage, StageRecord] | None) -> RunEnd:
        self.ledger.close(self.run_id, end, last)
        record_run_outcome(self.run_id, end.status)
        return end

