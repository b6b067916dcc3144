"""A named lock in DynamoDB: a lease that its holder renews while it works, and a fencing token.

If the holder dies, the lease lapses after `lease_s` (the queue's visibility timeout, when the
message it was working on reappears too) and the next holder may take it. While the holder lives, a
thread renews the lease every third of it, so a slow block never loses the lock halfway.

A holder that is paused (a stopped process, a long GC, a frozen VM) past its lease cannot know
that it lost the lock. So each acquisition increments the lock item's `token`, the holder gets it
as a `Fence`, and every write it makes under the lock is a transaction whose condition is that the
token is still its own (`fenced`): after a takeover those writes fail with `LostLock`. The last of
them may also give the lock up (`release=True`): the holder's commit and its release are then one
transaction, and the block's end has nothing left to write.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from shared.clock import SYSTEM, Clock
from shared.dynamo import ConditionFailed, Table
from shared.layout import LOCK_PK
from shared.renewal import renewing

if TYPE_CHECKING:
    from types_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

# Actions per transaction, the condition check included: AWS's limit. DynamoDB Local 1.x (the npm
# build the LocalStack tier runs) allows 10 (`COVID_ETL_TRANSACTION_ITEMS`); smaller transactions
# cost more round trips, never more capacity (a transactional write costs the same per item).
TRANSACTION_ITEMS = 100
RELEASE = "SET lease_until = :zero REMOVE #o"  # (with :zero = 0 and #o = owner) the lease lapsed, no holder


class LostLock(Exception):
    """Another holder took the lock since this holder's fence was issued: its write was not made."""



class Held(TypedDict):
    """The condition that the lock is still ours, with its names and values."""

    condition: str
    names: dict[str, str]
    values: dict[str, object]


@dataclass(frozen=True)
class Fence:
    """The token of one acquisition of lock `name`; `released` once a fenced write gave the lock up."""

    name: str
    token: int
    released: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)


class Lease:
    def __init__(self, table: Table, name: str, owner: str, lease_s: int, clock: Clock = SYSTEM) -> None:
        self.table, self.name, self.owner, self.lease_s, self.clock = table, name, owner, lease_s, clock
        self.fence: Fence | None = None

    def acquire(self, wait_s: float) -> Fence:
        """Take the lock, waiting up to `wait_s` for it (TimeoutError after)."""
        deadline = self.clock.monotonic() + wait_s
        while True:
            now = int(self.clock.time())
            try:
                item = self.table.update(LOCK_PK, self.name, "SET #o = :me, lease_until = :until ADD #t :one",
                                         condition="attribute_not_exists(pk) OR lease_until < :now",
                                         names={"#o": "owner", "#t": "token"}, returning=True,
                                         values={":me": self.owner, ":until": now + self.lease_s, ":one": 1,
                                                 ":now": now})
                break
            except ConditionFailed:
                if self.clock.monotonic() > deadline:
                    raise TimeoutError(f"lock {self.name!r} still held by another run after {wait_s:g} s") from None
                self.clock.sleep(0.5)
        assert item is not None
        self.fence = Fence(self.name, int(item["token"]))  # the token this update set: ours
        return self.fence

    def _mine(self) -> Held:
        assert self.fence is not None, "acquire first"
        return {"condition": "#o = :me AND #t = :t", "names": {"#o": "owner", "#t": "token"},
                "values": {":me": self.owner, ":t": self.fence.token}}

    def renew(self) -> bool:
        """Extend the lease; False if another holder has taken the lock."""
        if self.fence is not None and self.fence.released.is_set():
            return True  # given up by the holder's last write: nothing to extend, nothing lost
        mine = self._mine()
        try:
            self.table.update(LOCK_PK, self.name, "SET lease_until = :until", condition=mine["condition"],
                              names=mine["names"],
                              values={**mine["values"], ":until": int(self.clock.time()) + self.lease_s})
        except ConditionFailed:
            return False
        return True

    def release(self) -> bool:
        """Give the lock up; False if it had been taken over already. The item stays, so its token only grows."""
        mine = self._mine()
        try:
            self.table.update(LOCK_PK, self.name, RELEASE, condition=mine["condition"],
                              names=mine["names"], values={**mine["values"], ":zero": 0})
        except ConditionFailed:
            return False
        return True


@contextlib.contextmanager
def hold(table: Table, name: str, owner: str, lease_s: int, wait_s: float,
         clock: Clock = SYSTEM) -> Iterator[Fence]:
    """Hold the lock `name` as `owner` for the block, renewed; yields the fence for the block's writes."""
    lease = Lease(table, name, owner, lease_s, clock)
    fence = lease.acquire(wait_s)
    try:
        with renewing(lease.renew, lease_s / 3, f"lock {name!r}"):
            yield fence
    finally:
        if not fence.released.is_set():  # (else the block's last write released it)
            lease.release()  # after the renewer has stopped: no renewal can follow (or race) the release


def transactions(count: int, per_transaction: int = TRANSACTION_ITEMS) -> list[range]:
    """How `count` writes go into fenced transactions: each range holds at most `per_transaction` - 1
    of them (the fence takes one action), and only the first may be short, so that the last writes
    (a load's commit: its versions) land together in the last transaction, with as few as can be."""
    step = per_transaction - 1
    return [range(max(0, end - step), end) for end in reversed(range(count, 0, -step))]


def fenced(table: Table, actions: Sequence[TransactWriteItemTypeDef], fence: Fence,
           per_transaction: int = TRANSACTION_ITEMS, release: bool = False) -> None:
    """Make the writes `actions` (`Table.put_action`, ...) in the transactions `transactions` plans, each
    holding only while `fence` is the lock's current token; `LostLock` after a takeover. Another action's
    failed condition is `ConditionFailed`, as for a single write. `release`: the last transaction also
    gives the lock up (its check becomes the release, under the same condition)."""
    batches = [actions[r.start:r.stop] for r in transactions(len(actions), per_transaction)]
    fenced_batches(table, batches, fence, release)


def fenced_batches(table: Table, batches: Sequence[Sequence[TransactWriteItemTypeDef]], fence: Fence,
                   release: bool = False) -> None:
    """Make each batch of writes one transaction, with the fence (`fenced`), in order; a batch holds at most
    `TRANSACTION_ITEMS` - 1 writes. A failed action's index in `ConditionFailed` counts every batch's."""
    check = table.check_action(LOCK_PK, fence.name, "#t = :t", names={"#t": "token"}, values={":t": fence.token})
    start = 0
    for n, writes in enumerate(batches):
        fence_action = check
        if release and n == len(batches) - 1:  # the same condition, and the release
            fence_action = table.update_action(LOCK_PK, fence.name, RELEASE, condition="#t = :t",
                                               names={"#t": "token", "#o": "owner"},
                                               values={":t": fence.token, ":zero": 0})
        try:
            table.transact([fence_action, *writes])
        except ConditionFailed as error:
            if 0 in error.failed or not error.failed:
                raise LostLock(f"lock {fence.name!r} was taken over (token {fence.token} is no longer current); "
                               "nothing more was written") from None
            raise ConditionFailed(str(error), [start + i - 1 for i in error.failed]) from None
        start += len(writes)
    if release and batches:
        fence.released.set()


def fenced_puts(table: Table, items: Sequence[Mapping[str, object]], fence: Fence,
                per_transaction: int = TRANSACTION_ITEMS, release: bool = False) -> None:
    fenced(table, [table.put_action(item) for item in items], fence, per_transaction, release)
