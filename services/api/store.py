"""The API's read port and its DynamoDB adapter: Queries on the key and GetItems, never a Scan.

What each route reads (docs/regions.md): a region's current view is one Query of `series#<id>` with a
projection, the catalogue one GetItem of `meta/regions`, a region's history one Query of
`revision#<id>` (of `<date>#` alone for one date), a load's sources one GetItem of `load/<run_id>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NotRequired, Protocol, TypedDict, cast

from shared.daily import ROW_FIELDS, DailyRow
from shared.dynamo import Item, deserialize
from shared.layout import LOAD_PK, US, revision_pk, series_pk
from shared.ledger import META_PK, DatasetVersion, LoadedSource, RunLedger
from shared.runs import Run


class StoredRow(DailyRow):
    """A `series#` item as the API reads it: the row, the run that last wrote it, and when."""

    loaded_at: str | None  # (None: an item written before loads were timed)
    run_id: str | None


class RevisionRow(DailyRow):
    """A `revision#` item: a value that was current from `loaded_at` until `superseded_at`."""

    loaded_at: str
    run_id: str | None
    superseded_at: str
    superseded_by: str | None


class Region(TypedDict):
    """A region of the `meta/regions` catalogue (its id is the catalogue's key)."""

    name: str
    country: str | None
    province: str | None
    level: str
    population: int | None
    first_date: str | None
    last_date: str | None
    sources: list[str]
    iso2: NotRequired[str | None]
    iso3: NotRequired[str | None]
    uid: NotRequired[int | None]
    rows: NotRequired[int]


class LoadRecord(TypedDict):
    """The part of a `load/<run_id>` item the API shows: when, and the sources' versions."""

    loaded_at: str | None
    sources: dict[str, str]  # name -> sha256


class Store(Protocol):
    """What the API reads. DynamoStore in production; an in-memory fake in unit tests."""

    def dataset_version(self) -> DatasetVersion | None:
        """The `meta/dataset` item (its `version` is the run id of the last load), or None."""

    def catalogue(self) -> dict[str, Region]:
        """The `meta/regions` catalogue by region id ({} before the first load that writes it)."""

    def daily(self, region: str = US) -> list[StoredRow]:
        """Every current day of a region's series (a field is None when unknown)."""

    def revisions(self, region: str, day: str | None = None) -> list[RevisionRow]:
        """The superseded values of a region (of one date when `day` is given), by sort key."""

    def load_record(self, run_id: str) -> LoadRecord | None:
        """A committed load's instant and sources' versions, or None."""

    def sources(self) -> dict[str, LoadedSource]:
        """The last loaded version of each source, by name."""

    def runs(self, limit: int) -> list[Run]:
        """The newest `limit` runs, newest first."""

    def run(self, run_id: str) -> Run | None:
        """One run, or None."""

    def ping(self) -> None:
        """Raise if the table cannot be reached."""


SERIES_FIELDS = (*ROW_FIELDS, "loaded_at", "updated_at", "run_id")
REVISION_FIELDS = (*ROW_FIELDS, "loaded_at", "run_id", "superseded_at", "superseded_by", "sk")


def _projection(names: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    # names aliased: some (date, sk...) are reserved words
    return ", ".join(f"#p{i}" for i in range(len(names))), {f"#p{i}": n for i, n in enumerate(names)}


def stored_row(item: Item) -> StoredRow:
    """A `series#` item; `updated_at` is where items written before issue 18 kept their load time."""
    return cast(StoredRow, {**{n: item.get(n) for n in ROW_FIELDS},
                            "loaded_at": item.get("loaded_at") or item.get("updated_at"), "run_id": item.get("run_id")})


def revision_row(item: Item) -> RevisionRow:
    row = {n: item.get(n) for n in REVISION_FIELDS if n != "sk"}
    row["date"] = row["date"] or str(item["sk"]).split("#", 1)[0]  # the sort key is `<date>#<loaded_at>`
    return cast(RevisionRow, row)


class DynamoStore:
    """Reads the single table (layout in docs/regions.md and shared/ledger.py)."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.ledger = RunLedger(table_name, client)
        self.table = self.ledger.table

    def dataset_version(self) -> DatasetVersion | None:
        return self.ledger.dataset_version()

    def catalogue(self) -> dict[str, Region]:
        item = self.table.get(META_PK, "regions")
        return cast(dict[str, Region], (item or {}).get("regions") or {})

    def daily(self, region: str = US) -> list[StoredRow]:
        # Only the fields the API shows: smaller pages, fewer round trips. A consistent read (the cache
        # reads the rows once per data version, so its double cost is paid once per load): an eventual
        # one could return rows older than the version just read, and the cache would keep them.
        projection, names = _projection(SERIES_FIELDS)
        return [stored_row(i) for i in self.table.query(series_pk(region), projection=projection, names=names)]

    def revisions(self, region: str, day: str | None = None) -> list[RevisionRow]:
        return [revision_row(i) for i in self._query(revision_pk(region), f"{day}#" if day else None)]

    def load_record(self, run_id: str) -> LoadRecord | None:
        item = self.table.get(LOAD_PK, run_id)
        if item is None:
            return None
        return {"loaded_at": item.get("loaded_at"), "sources": dict(item.get("sources") or {})}

    def _query(self, pk: str, prefix: str | None) -> Iterator[Item]:
        # `Table.query` reads a whole partition; one date's revisions are a prefix of their sort keys
        projection, names = _projection(REVISION_FIELDS)
        values: dict[str, Any] = {":pk": {"S": pk}}
        condition = "pk = :pk"
        if prefix:
            condition, values[":prefix"] = "pk = :pk AND begins_with(sk, :prefix)", {"S": prefix}
        kwargs: dict[str, Any] = {"TableName": self.table.name, "KeyConditionExpression": condition,
                                  "ExpressionAttributeValues": values, "ProjectionExpression": projection,
                                  "ExpressionAttributeNames": names, "ConsistentRead": True}
        while True:
            page = self.table.client.query(**kwargs)
            yield from (deserialize(item) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def sources(self) -> dict[str, LoadedSource]:
        return self.ledger.source_versions()

    def runs(self, limit: int) -> list[Run]:
        return self.ledger.recent(limit)

    def run(self, run_id: str) -> Run | None:
        return self.ledger.get(run_id)

    def ping(self) -> None:
        # DescribeTable would need extra IAM rights; a GetItem is what the API does anyway.
        self.table.get(META_PK, "dataset", projection="pk")
