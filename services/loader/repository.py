"""The daily series in DynamoDB: read it whole (one Query), write only what changed, under the load lock.

Every write is fenced (`shared.lock.fenced`): the rows and the versions that commit them go in the
transactions `shared.lock.transactions` plans, each holding only while the load lock's token is
still this load's, the versions in the last one, which also gives the lock up. A load that dies
between two transactions has committed nothing; its retry diffs the table again and counts the
rows its first try wrote by their `first_run` (`services.loader.diff`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.loader.diff import RowWrite, Stored
from shared.clock import now_iso
from shared.daily import to_item
from shared.dynamo import Table
from shared.layout import SERIES_PK
from shared.ledger import META_PK, SOURCE_PK, DatasetVersion
from shared.lock import TRANSACTION_ITEMS, Fence, fenced_puts


class SeriesRepository:
    """Daily rows as `shared.daily` keys them (`pk=series#US, sk=<date>`); a null field is an absent attribute."""

    def __init__(self, table_name: str, client: Any | None = None, per_transaction: int = TRANSACTION_ITEMS) -> None:
        self.table, self.per_transaction = Table(table_name, client), per_transaction

    def current(self) -> dict[str, Stored]:
        """The rows by date, as stored (with the runs that first and last wrote them)."""
        return {row["sk"]: row for row in self.table.query(SERIES_PK)}

    def load(self, rows: Sequence[RowWrite], sources: Sequence[Mapping[str, object]], dataset: DatasetVersion,
             fence: Fence) -> None:
        """Write the changed rows, then commit the source versions and `dataset` (the dataset version's
        item) in the last transaction, with the last rows that fit beside them; it gives the lock up."""
        versions = self._versions(sources, dataset)
        assert len(versions) < self.per_transaction, "a load's versions must fit in one transaction"
        fenced_puts(self.table, [*self._rows(rows, dataset["version"]), *versions], fence, self.per_transaction,
                    release=True)

    def write(self, rows: Sequence[RowWrite], run_id: str, fence: Fence) -> None:
        """Write rows without committing (a row without `first_run` is taken as new in `run_id`)."""
        fenced_puts(self.table, self._rows(rows, run_id), fence, self.per_transaction)

    def commit_versions(self, sources: Sequence[Mapping[str, object]], dataset: DatasetVersion, fence: Fence) -> None:
        """Record the source versions and the dataset version, in one transaction that gives the lock up."""
        fenced_puts(self.table, self._versions(sources, dataset), fence, self.per_transaction, release=True)

    @staticmethod
    def _rows(rows: Sequence[RowWrite], run_id: str) -> list[dict[str, object]]:
        stamp = now_iso()
        return [to_item(r, run_id=run_id, first_run=r.get("first_run", run_id), updated_at=stamp) for r in rows]

    @staticmethod
    def _versions(sources: Sequence[Mapping[str, object]], dataset: DatasetVersion) -> list[dict[str, object]]:
        stamp = now_iso()
        return [*({"pk": SOURCE_PK, "sk": s["name"], **s, "loaded_at": stamp} for s in sources),
                {"pk": META_PK, "sk": "dataset", **dataset, "loaded_at": stamp}]
