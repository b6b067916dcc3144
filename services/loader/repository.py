"""The regions' rows in DynamoDB: read back (when the image cannot be the diff base), written fenced.

Every write is fenced (`shared.lock.fenced_batches`): the transactions `services.loader.writes`
plans, each holding only while the load lock's token is still this load's, the commit (source
versions, the catalogue, the `load` item, `meta/dataset`) in the last one, which also gives the lock
up. A load that dies between two transactions has committed nothing, and has left its `meta/loading`
marker uncleared; its retry reads the table and counts the rows its first try wrote by their `first_run`
(`services.loader.diff`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from services.loader.dataset import Region
from services.loader.diff import RowWrite
from services.loader.image import Rows
from services.loader.plan import current_item, loaded_at_of
from services.loader.writes import LOADING, Item, transactions, unfinished
from shared.clock import now_iso
from shared.dynamo import Table
from shared.layout import META_PK, SOURCE_PK, US, series_pk
from shared.ledger import DatasetVersion
from shared.lock import TRANSACTION_ITEMS, Fence, fenced_batches, fenced_puts

REGIONS = "regions"  # the catalogue's sort key (`meta/regions`)


class SeriesRepository:
    """Regions' rows as docs/regions.md keys them (`series#<id>`, `revision#<id>`); a null field is absent."""

    def __init__(self, table_name: str, client: Any | None = None, per_transaction: int = TRANSACTION_ITEMS) -> None:
        self.table, self.per_transaction = Table(table_name, client), per_transaction

    def loading(self) -> dict[str, object] | None:
        """The `meta/loading` marker of a load that has not committed, if any."""
        return unfinished(self.table.get(META_PK, LOADING))

    def catalogue(self) -> dict[str, Region]:
        """The `meta/regions` catalogue (empty before the first load of format 2)."""
        item = self.table.get(META_PK, REGIONS)
        return cast(dict[str, Region], item["regions"]) if item else {}

    def current(self, regions: Iterable[str]) -> Rows:
        """Each region's rows by date, as stored (one Query per region)."""
        return {region: {str(item["sk"]): normalised(item) for item in self.table.query(series_pk(region))}
                for region in sorted(set(regions))}

    def load(self, groups: Sequence[Sequence[Item]], commit: Sequence[Item], mark: Item, marked: bool,
             fence: Fence) -> None:
        """Write the groups, then commit, in the planned transactions; the last one gives the lock up."""
        planned = transactions(groups, commit, mark, marked, self.per_transaction)
        fenced_batches(self.table, [[self.table.put_action(w) for w in batch] for batch in planned], fence,
                       release=True)

    # For the API's tests and the bench, which write rows without a dataset: the items a load writes
    def write(self, rows: Sequence[RowWrite], run_id: str, fence: Fence, region: str = US,
              loaded_at: str | None = None) -> None:
        """Write `rows` as `run_id`'s current items of `region`, without committing."""
        at = loaded_at or now_iso()
        fenced_puts(self.table, [current_item(region, r, run_id, at) for r in rows], fence, self.per_transaction)

    def commit_versions(self, sources: Sequence[Mapping[str, object]], dataset: DatasetVersion,
                        fence: Fence) -> None:
        """Record the source versions and the dataset version, in one transaction that gives the lock up."""
        at = dataset.get("loaded_at") or now_iso()
        items = [*({"pk": SOURCE_PK, "sk": s["name"], **s, "loaded_at": at} for s in sources),
                 {"pk": META_PK, "sk": "dataset", **dataset, "loaded_at": at}]
        fenced_puts(self.table, items, fence, self.per_transaction, release=True)


def normalised(item: Mapping[str, object]) -> dict[str, object]:
    """A stored row without its key; a row written before `loaded_at` gets its write's instant as one."""
    row = {k: v for k, v in item.items() if k not in ("pk", "sk", "updated_at")}
    if "loaded_at" not in row and loaded_at_of(item):
        row["loaded_at"] = loaded_at_of(item)
    return row
