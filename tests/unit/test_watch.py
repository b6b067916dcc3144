"""`covid-etl up` reads the run ledger when a run's announcement arrives, not every second
(`covid_etl.local.watch`), and every 30 s without one; on fakes of the queue and the clock."""

from __future__ import annotations

from typing import Any

from covid_etl.local.watch import LOOK_EVERY_S, AnnouncementQueue, RunEndWatch
from shared.clock import FakeClock


class FakeAnnouncements:
    """Each `wait` takes the next scripted answer and lets the clock run for the seconds waited."""

    def __init__(self, clock: FakeClock, answers: list[bool]) -> None:
        self.clock, self.answers = clock, list(answers)

    def wait(self, seconds: int) -> bool:
        announced = self.answers.pop(0)
        self.clock.advance(0.01 if announced else seconds)
        return announced


def looks(answers: list[bool], clock: FakeClock | None = None) -> list[int]:
    """The seconds (1-based waits) at which the watch says to read the ledger."""
    clock = clock or FakeClock()
    watch = RunEndWatch(FakeAnnouncements(clock, answers), clock)
    return [i for i, _ in enumerate(answers, 1) if watch.wait(1)]


def test_quiet_seconds_do_not_read_the_ledger_but_an_announcement_does() -> None:
    assert looks([False] * 10 + [True] + [False] * 10 + [True, True]) == [11, 22, 23]


def test_without_announcements_it_still_looks_every_30_seconds() -> None:
    assert LOOK_EVERY_S == 30
    assert looks([False] * 95) == [30, 60, 90]
    assert looks([False] * 20 + [True] + [False] * 40) == [21, 51]  # the 30 s count from the last look


def test_a_failed_look_is_tried_again_at_the_next_wait() -> None:
    clock = FakeClock()
    watch = RunEndWatch(FakeAnnouncements(clock, [True, False, False]), clock)
    assert watch.wait(1)
    watch.look_soon()
    assert watch.wait(1)
    assert not watch.wait(1)


class FakeSqs:
    def __init__(self, batches: list[list[dict[str, Any]]], fail: bool = False) -> None:
        self.batches, self.fail = batches, fail
        self.waits: list[int] = []
        self.deleted: list[str] = []

    def receive_message(self, QueueUrl: str, MaxNumberOfMessages: int, WaitTimeSeconds: int) -> dict[str, Any]:  # noqa: N803
        self.waits.append(WaitTimeSeconds)
        if self.fail:
            raise ConnectionError("the emulator is gone")
        return {"Messages": self.batches.pop(0)} if self.batches else {}

    def delete_message_batch(self, QueueUrl: str, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803
        self.deleted += [e["ReceiptHandle"] for e in Entries]
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}


def test_the_queue_long_polls_and_deletes_what_it_received() -> None:
    sqs = FakeSqs([[{"ReceiptHandle": "a"}, {"ReceiptHandle": "b"}]])
    queue = AnnouncementQueue("http://sqs/up-events", sqs, FakeClock())
    assert queue.wait(1) is True
    assert sqs.deleted == ["a", "b"]
    assert queue.wait(1) is False
    assert sqs.waits == [1, 1]


def test_an_unreachable_queue_waits_out_the_second_and_says_to_look() -> None:
    clock = FakeClock()
    queue = AnnouncementQueue("http://sqs/up-events", FakeSqs([], fail=True), clock)
    assert queue.wait(1) is True  # as before the watch: the ledger is read each second
    assert clock.slept == [1]
