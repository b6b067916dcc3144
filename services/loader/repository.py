"""The daily series in DynamoDB: read it whole (one Query), write only what changed, under the load lock.

Every write is fenced (`shared.lock.fenced`): rows, the `writing` mark and the versions that commit
them go in transactions that hold only while the load lock's token is still this load's. A load
whose rows and versions fit in one transaction (a day's change: a few rows) is that one transaction;
a larger one (a full load: 420 rows) marks the dataset `writing`, writes its rows in as many
transactions as they need, then commits the versions.

A warm loader keeps the rows as it left them at its own last commit, under that commit's dataset
version, and diffs the next load against them instead of reading the series back (420 items took
0.5-0.8 s on the embedded emulator). The copy is used only while the table's dataset version is
still the one this process committed and no load has begun writing since: each load marks the
dataset item `writing` before its first write, and its commit replaces the item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.clock import now_iso
from shared.dynamo import ConditionFailed, Table
from shared.ledger import META_PK, SERIES_PK, SOURCE_PK
from shared.lock import TRANSACTION_ITEMS, Fence, fenced, fenced_puts


class SeriesRepository:
    """Rows keyed `pk=series#US, sk=<date>`; `recovered` absent means null."""

    def __init__(self, table_name: str, client: Any | None = None, per_transaction: int = TRANSACTION_ITEMS) -> None:
        self.table, self.per_transaction = Table(table_name, client), per_transaction
        self._committed: tuple[str, dict[str, dict[str, Any]]] | None = None  # (version, rows) of our commit
        self._loading: dict[str, dict[str, Any]] | None = None  # the rows as the load in progress leaves them
        self._none_committed = False  # the load in progress found no dataset version: none to mark

    def current(self, committed: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """The rows by date. `committed` is the dataset item as just read: when it is this process's own
        last commit and nobody has begun writing since, the kept copy is returned and nothing is read."""
        mine = self._committed
        if mine and committed and committed.get("version") == mine[0] and "writing" not in committed:
            rows = {d: dict(r) for d, r in mine[1].items()}
        else:
            rows = {row["sk"]: row for row in self.table.query(SERIES_PK)}
        self._loading = {d: dict(r) for d, r in rows.items()}
        self._none_committed = committed is not None and not committed
        return rows

    def atomic(self, rows: int, sources: int) -> bool:
        """Whether a load of `rows` changed rows and `sources` source versions is one transaction
        (with the dataset version and the fence's check)."""
        return rows + sources + 2 <= self.per_transaction

    def load(self, rows: Sequence[dict[str, Any]], sources: list[dict[str, Any]], dataset: dict[str, Any],
             fence: Fence) -> None:
        """Write the changed rows and commit the versions, in one transaction when `atomic`; else the
        versions go with the last rows when they fit beside them. The commit gives the lock up."""
        last = 0
        if not self.atomic(len(rows), len(sources)):
            step, versions = self.per_transaction - 1, len(sources) + 1
            tail = len(rows) % step or step  # the rows of the last transaction of rows
            last = len(rows) - tail if tail + versions <= step else len(rows)
            self.write(rows[:last], dataset["version"], fence)
        self.commit_versions(sources, dataset, fence, rows[last:])

    def write(self, rows: Sequence[dict[str, Any]], run_id: str, fence: Fence) -> None:
        if not rows:
            return
        self._committed = None
        self._mark_writing(run_id, fence)
        fenced_puts(self.table, self._rows(rows, run_id), fence, self.per_transaction)
        if self._loading is not None:
            self._loading.update({r["date"]: dict(r) for r in rows})

    @staticmethod
    def _rows(rows: Sequence[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
        stamp = now_iso()
        return [{"pk": SERIES_PK, "sk": r["date"], "date": r["date"], "cases": r["cases"], "deaths": r["deaths"],
                 "recovered": r.get("recovered"), "run_id": run_id, "updated_at": stamp} for r in rows]

    def _mark_writing(self, run_id: str, fence: Fence) -> None:
        """Tell every loader's kept copy that the table moves away from the committed version."""
        if self._none_committed:
            return  # (under the lock, so none is committed since)
        try:
            fenced(self.table, [self.table.update_action(META_PK, "dataset", "SET writing = :r",
                                                         condition="attribute_exists(pk)", values={":r": run_id})],
                   fence, self.per_transaction)
        except ConditionFailed:
            pass  # nothing committed yet: no copy can be kept of it

    def commit_versions(self, sources: list[dict[str, Any]], dataset: dict[str, Any], fence: Fence,
                        rows: Sequence[dict[str, Any]] = ()) -> None:
        """Record the source versions and the dataset version this load made current, with `rows`, in one
        transaction that also gives the load lock up."""
        fenced_puts(self.table, [*self._rows(rows, dataset["version"]), *self._versions(sources, dataset)], fence,
                    self.per_transaction, release=True)
        self._loaded(rows, dataset)

    @staticmethod
    def _versions(sources: list[dict[str, Any]], dataset: dict[str, Any]) -> list[dict[str, Any]]:
        stamp = now_iso()
        return [*({"pk": SOURCE_PK, "sk": s["name"], **s, "loaded_at": stamp} for s in sources),
                {"pk": META_PK, "sk": "dataset", **dataset, "loaded_at": stamp}]

    def _loaded(self, rows: Sequence[dict[str, Any]], dataset: dict[str, Any]) -> None:
        """Keep the rows as this commit left them, under its version."""
        if self._loading is not None:
            self._loading.update({r["date"]: dict(r) for r in rows})
            if dataset.get("version"):
                self._committed, self._loading = (dataset["version"], self._loading), None
