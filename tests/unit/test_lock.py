"""The load lock over a fake DynamoDB client: transaction conflicts are retried, a lost fence is not,
failed indexes are the list's, and the lease stops renewing before it is released."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import pytest
from botocore.exceptions import ClientError

from shared import lock
from shared.clock import FakeClock
from shared.dynamo import CONFLICT_TRIES, ConditionFailed, Table
from shared.lock import Fence, Lease, LostLock, fenced, fenced_puts, hold

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

CONFLICT = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}


def cancelled(*codes: str) -> ClientError:
    reasons = [CONFLICT if code == "TransactionConflict" else {"Code": code} for code in codes]
    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                        "CancellationReasons": reasons}, "TransactWriteItems")


def update_conflict() -> ClientError:
    return ClientError({"Error": {"Code": "TransactionConflictException", "Message": "conflict"}}, "UpdateItem")


class FakeDynamo:
    """The calls the lock makes, answered from `fails` first (one error per call), then with success."""

    def __init__(self, *fails: ClientError | None, on_update: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.fails = list(fails)
        self.calls: list[str] = []
        self.transactions: list[list[Any]] = []
        self.on_update = on_update

    def _answer(self, name: str) -> None:
        self.calls.append(name)
        error = self.fails.pop(0) if self.fails else None
        if error:
            raise error

    def transact_write_items(self, TransactItems: list[Any]) -> None:  # noqa: N803 (boto3's name)
        self._answer("transact")
        self.transactions.append(TransactItems)

    def update_item(self, **kwargs: Any) -> dict[str, Any]:
        if self.on_update:
            self.on_update(kwargs)
        self._answer("update")
        return {"Attributes": {"owner": {"S": "me"}, "token": {"N": "3"}}}  # read by an acquiring update


def as_client(fake: FakeDynamo) -> DynamoDBClient:
    """The fake where `Table` takes boto3's client: it has the methods `Table` calls."""
    return cast("DynamoDBClient", fake)


FENCE = Fence("load", 3)


def test_a_fenced_write_that_meets_a_renewal_is_retried() -> None:
    client, clock = FakeDynamo(cancelled("TransactionConflict", "None")), FakeClock()
    fenced_puts(Table("t", as_client(client), clock), [{"pk": "series#US", "sk": "2020-03-01", "cases": 1}], FENCE)
    assert client.calls == ["transact", "transact"]
    assert len(client.transactions) == 1 and len(clock.slept) == 1 and 0 <= clock.slept[0] <= 0.1


def test_a_renewal_that_meets_a_fenced_write_is_retried() -> None:
    client, clock = FakeDynamo(update_conflict()), FakeClock()
    lease = Lease(Table("t", as_client(client), clock), "load", "me", 60, clock)
    lease.acquire(0)
    client.fails.append(update_conflict())
    assert lease.renew()
    assert client.calls == ["update", "update", "update", "update"]


def test_a_lost_fence_is_not_retried_even_after_a_conflict() -> None:
    client = FakeDynamo(cancelled("TransactionConflict", "None"), cancelled("ConditionalCheckFailed", "None"))
    with pytest.raises(LostLock):
        fenced_puts(Table("t", as_client(client), FakeClock()), [{"pk": "series#US", "sk": "2020-03-01"}], FENCE)
    assert client.calls == ["transact", "transact"]


def test_conflicts_are_retried_a_bounded_number_of_times() -> None:
    client, clock = FakeDynamo(*(cancelled("TransactionConflict") for _ in range(CONFLICT_TRIES + 1))), FakeClock()
    with pytest.raises(ClientError, match="TransactionCanceledException"):
        fenced_puts(Table("t", as_client(client), clock), [{"pk": "series#US", "sk": "2020-03-01"}], FENCE)
    assert len(client.calls) == CONFLICT_TRIES
    assert len(clock.slept) == CONFLICT_TRIES - 1 and sum(clock.slept) <= 1.5


def test_the_lease_stops_renewing_before_it_is_released() -> None:
    renewers_at_release: list[bool] = []

    def on_update(call: dict[str, Any]) -> None:
        if "REMOVE" in call["UpdateExpression"]:  # the release
            renewers_at_release.append(any(t.name == "renew lock 'load'" and t.is_alive()
                                           for t in threading.enumerate()))

    client = FakeDynamo(on_update=on_update)
    with hold(Table("t", as_client(client), FakeClock()), "load", "me", 60, 0) as fence:
        assert fence == FENCE
    assert renewers_at_release == [False]


def test_a_failed_action_is_named_by_its_index_in_the_whole_list() -> None:
    step = lock.TRANSACTION_ITEMS - 1
    # the second transaction's third action failed (its first is the fence's condition check); the first
    # transaction held the 5 actions left over from full transactions
    client = FakeDynamo(None, cancelled("None", "None", "None", "ConditionalCheckFailed"))
    table = Table("t", as_client(client), FakeClock())
    actions = [table.put_action({"pk": "series#US", "sk": f"d{i}"}) for i in range(step + 5)]
    with pytest.raises(ConditionFailed) as failed:
        fenced(table, actions, FENCE)
    assert failed.value.failed == [5 + 2]


@pytest.mark.parametrize(("count", "per_transaction", "sizes"), [
    (0, 100, []), (5, 100, [5]), (99, 100, [99]), (100, 100, [1, 99]), (423, 100, [27, 99, 99, 99, 99]),
    (25, 10, [7, 9, 9])])
def test_writes_are_planned_in_full_transactions_but_the_first(count: int, per_transaction: int,
                                                                sizes: list[int]) -> None:
    """So that the last writes (a load's versions, which commit it) are in the last transaction."""
    planned = lock.transactions(count, per_transaction)
    assert [len(t) for t in planned] == sizes
    assert [i for t in planned for i in t] == list(range(count))  # each write once, in order
