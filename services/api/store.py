"""The API's read port and its DynamoDB adapter: Queries on the key and GetItems, never a Scan."""

from __future__ import annotations

from typing import Any, Protocol

from shared.daily import PROJECTION, PROJECTION_NAMES, SERIES_PK, DailyRow, from_item
from shared.ledger import META_PK, DatasetVersion, LoadedSource, RunLedger
from shared.runs import Run


class Store(Protocol):
    """What the API reads. DynamoStore in production; an in-memory fake in unit tests."""

    def dataset_version(self) -> DatasetVersion | None:
        """The `meta/dataset` item (its `version` is the run id of the last load), or None."""

    def daily(self) -> list[DailyRow]:
        """Every day of the series (a field is None when unknown)."""

    def sources(self) -> dict[str, LoadedSource]:
        """The last loaded version of each source, by name."""

    def runs(self, limit: int) -> list[Run]:
        """The newest `limit` runs, newest first."""

    def run(self, run_id: str) -> Run | None:
        """One run, or None."""

    def ping(self) -> None:
        """Raise if the table cannot be reached."""


class DynamoStore:
    """Reads the single table (layout in shared/ledger.py)."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.ledger = RunLedger(table_name, client)
        self.table = self.ledger.table

    def dataset_version(self) -> DatasetVersion | None:
        return self.ledger.dataset_version()

    def daily(self) -> list[DailyRow]:
        # Only the fields the API shows: smaller pages, fewer round trips. A consistent read (the cache
        # reads the rows once per data version, so its double cost is paid once per load): an eventual
        # one could return rows older than the version just read, and the cache would keep them.
        return [from_item(i) for i in self.table.query(SERIES_PK, projection=PROJECTION, names=PROJECTION_NAMES)]

    def sources(self) -> dict[str, LoadedSource]:
        return self.ledger.source_versions()

    def runs(self, limit: int) -> list[Run]:
        return self.ledger.recent(limit)

    def run(self, run_id: str) -> Run | None:
        return self.ledger.get(run_id)

    def ping(self) -> None:
        # DescribeTable would need extra IAM rights; a GetItem is what the API does anyway.
        self.table.get(META_PK, "dataset", projection="pk")
