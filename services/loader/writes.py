"""How a load's writes go into fenced transactions, decided without I/O (the repository and its fake share it).

A group (a row's current item and its revision item, or the commit) stays in one transaction when it
fits; transactions are filled from the end, so that the commit is the last and only the first is
short. A load of more than one transaction puts the `meta/loading` marker in its first and clears it
in its commit (`committed: true`: the item stays, as no service deletes anything): a load that finds an
uncleared marker knows that the table may hold rows its image does not (a load died between two
transactions), and diffs against the table instead (docs/regions.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.layout import META_PK

LOADING = "loading"  # the sort key of the marker (`meta/loading`)
Item = Mapping[str, object]



def marker(run_id: str, loaded_at: str) -> dict[str, object]:
    """The `meta/loading` item: which run is loading, and its load instant (reused by its retry)."""
    return {"pk": META_PK, "sk": LOADING, "run_id": run_id, "loaded_at": loaded_at}


def cleared(mark: Item) -> dict[str, object]:
    """The marker as a commit leaves it: the load it names has committed."""
    return {**mark, "committed": True}


def unfinished(item: Mapping[str, object] | None) -> dict[str, object] | None:
    """The `meta/loading` item when it marks a load that has not committed, else None."""
    return dict(item) if item and not item.get("committed") else None


def pack(groups: Sequence[Sequence[Item]], room: int) -> list[list[Item]]:
    """Groups into batches of at most `room` writes, filled from the last; a group larger than `room` is split."""
    batches: list[list[Item]] = []
    current: list[Item] = []
    for group in reversed(groups):
        if len(current) + len(group) > room and current:
            batches.append(current)
            current = []
        for write in reversed(group):
            if len(current) == room:
                batches.append(current)
                current = []
            current.insert(0, write)
    if current:
        batches.append(current)
    return batches[::-1]


def transactions(groups: Sequence[Sequence[Item]], commit: Sequence[Item], mark: Item, marked: bool,
                 per_transaction: int) -> list[list[Item]]:
    """The writes of each transaction (the fence takes one more action in each). `marked`: the table holds a
    marker already (an unfinished load's), which the commit clears."""
    room = per_transaction - 1
    planned = pack([*groups, [*commit, *([cleared(mark)] if marked else [])]], room)
    if len(planned) > 1:
        planned = pack([[mark], *groups, [*commit, cleared(mark)]], room)
    return planned
