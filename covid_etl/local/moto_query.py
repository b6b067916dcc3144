"""moto's Query of a table's own key, reading one partition instead of sorting the whole table.

moto 5.2.5's `Table.query` finds a partition's items by listing every item of the table, sorted
(`all_items`), and keeping those of the partition: each Query costs the whole table. With every
region loaded (~120,000 `series#` items, issue 18) one region's Query took 1-3 s on the emulator,
against 10-30 ms on DynamoDB, and the read API's first request per region, the loader's table read
and the benchmarks measured moto's sort, not the code. Here a Query without an index runs moto's own
method on a view of the table whose `all_items` is the one partition, sorted: the same items, the
same conditions, pages and projections, at the partition's cost. A Query of an index (the project
has none) still takes moto's path.
"""

from __future__ import annotations

import inspect
from typing import Any

_MARK = "_one_partition"


class _OnePartition:
    """The table, as moto's `query` sees it, holding one partition's items."""

    def __init__(self, table: Any, items: dict[Any, Any]) -> None:
        self._table, self._items = table, items

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Any]:
        return sorted(self._items.values(), key=lambda item: item.range_key)


def install() -> None:
    """Replace `moto.dynamodb.models.table.Table.query`; idempotent."""
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, _MARK, False):
        return
    signature = inspect.signature(original)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        hash_key, index = bound.arguments.get("hash_key"), bound.arguments.get("index_name")
        if index or hash_key is None or not self.range_key_attr:
            return original(self, *args, **kwargs)
        # `get`, not `[]`: the items are a defaultdict, and a Query must not create its partition
        return original(_OnePartition(self, self.items.get(hash_key, {})), *args, **kwargs)  # type: ignore[arg-type]

    setattr(query, _MARK, True)
    Table.query = query  # type: ignore[method-assign]
