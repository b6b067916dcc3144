"""The asyncio container worker against a real queue on the emulator.

The worker's own waits (the heartbeat's interval, the reconnect backoff, a failed message's delay
before it is visible again) are injected, so the tests drive them. What the emulator times (a
message's visibility timeout) is real: the heartbeat test reads it on the emulator's own clock (a
control message's reappearance), never against a margin of the test's.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from covid_etl.resources import Resources, provision
from shared import aws
from shared.runtime.worker import Worker


def at_once(receives: int) -> int:
    """A failed message is visible again at once: the retry tests need not wait out a backoff."""
    return 0


class Beats:
    """A heartbeat interval the test drives: each `sleep` lasts until the test calls `beat()`."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.allowed = 0

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        while len(self.asked) > self.allowed:
            await asyncio.sleep(0.01)

    def beat(self) -> None:
        """Let one heartbeat through and return once its visibility change has been made."""
        self.allowed += 1
        until(lambda: len(self.asked) > self.allowed, "the heartbeat did not come back to its wait")


def until(done: Callable[[], bool], what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


@pytest.fixture
def queues(aws_env: object) -> dict[str, str]:
    """The extractor's queue with its DLQ after 2 receives, for this test alone."""
    env = provision(Resources(prefix=f"w{uuid.uuid4().hex[:10]}", visibility_timeout_s=30, max_receive_count=2))
    return {"queue": env["COVID_ETL_EXTRACTOR_QUEUE_URL"], "dlq": env["COVID_ETL_EXTRACTOR_DLQ_URL"]}


def counts(url: str) -> tuple[int, int]:
    """(visible, in flight) messages on a queue."""
    got = aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(got["ApproximateNumberOfMessages"]), int(got["ApproximateNumberOfMessagesNotVisible"])


def run_until(worker: Worker, done: Callable[[], bool], timeout: float = 30) -> None:
    """Run the worker until `done()`, then stop it and wait until it has stopped (a minute at most: a hang)."""
    async def main() -> None:
        task = asyncio.ensure_future(worker.run())
        deadline = time.monotonic() + timeout
        while not await asyncio.to_thread(done):
            if time.monotonic() > deadline or task.done():
                break
            await asyncio.sleep(0.2)
        worker.stop()
        await asyncio.wait_for(task, 60)
    asyncio.run(main())


def send(url: str, *bodies: str) -> None:
    for body in bodies:
        aws.client("sqs").send_message(QueueUrl=url, MessageBody=body)


def test_handles_each_message_and_deletes_it(queues: dict[str, str]) -> None:
    seen: list[tuple[str, int]] = []
    send(queues["queue"], "one", "two", "three")
    worker = Worker(queues["queue"], lambda body, receives=1, message_id="": seen.append((body, receives)),
                    wait_seconds=1)
    run_until(worker, lambda: len(seen) == 3 and counts(queues["queue"]) == (0, 0))
    assert sorted(seen) == [("one", 1), ("three", 1), ("two", 1)]
    assert counts(queues["queue"]) == (0, 0)


def test_a_failing_message_is_retried_then_dead_lettered(queues: dict[str, str]) -> None:
    receives: list[int] = []

    def fail(body: str, receive_count: int = 1, message_id: str = "") -> None:
        receives.append(receive_count)
        raise RuntimeError("downstream is down")

    delays: list[int] = []

    def delay(receives: int) -> int:
        delays.append(receives)
        return 0

    send(queues["queue"], "poison")
    worker = Worker(queues["queue"], fail, wait_seconds=1, retry_delay=delay)
    run_until(worker, lambda: counts(queues["dlq"])[0] == 1, timeout=40)
    assert receives == [1, 2]  # max_receive_count=2, then the redrive policy moves it
    assert delays == [1, 2]  # each failure asked for its delay by the delivery it was
    [dead] = aws.client("sqs").receive_message(QueueUrl=queues["dlq"])["Messages"]
    assert dead["Body"] == "poison"
    assert counts(queues["queue"]) == (0, 0)


def test_a_failure_followed_by_success_is_deleted(queues: dict[str, str]) -> None:
    receives: list[int] = []

    def flaky(body: str, receive_count: int = 1, message_id: str = "") -> None:
        receives.append(receive_count)
        if receive_count == 1:
            raise RuntimeError("transient")

    send(queues["queue"], "retry me")
    worker = Worker(queues["queue"], flaky, wait_seconds=1, retry_delay=at_once)
    run_until(worker, lambda: counts(queues["queue"]) == (0, 0) and len(receives) == 2)
    assert receives == [1, 2]
    assert counts(queues["dlq"]) == (0, 0)


def test_visibility_is_extended_while_a_slow_handler_works(queues: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """While the handler works, the message's visibility is cut to 1 s (as if its timeout were about to
    end), then one heartbeat is let through. A control message received after the cut, hidden for the
    same 1 s, tells on the emulator's clock when the cut visibility has run out: at that point the
    message would be visible again but for the heartbeat, which hid it for the worker's 30 s."""
    beats, seen, receipts = Beats(), list[tuple[int, int]](), list[str]()
    session, sqs = aws.async_session(), aws.client("sqs")
    session.register("after-call.sqs.ReceiveMessage",
                     lambda parsed, **_: receipts.extend(m["ReceiptHandle"] for m in parsed.get("Messages", [])))
    monkeypatch.setattr(aws, "async_session", lambda: session)
    control = sqs.create_queue(QueueName=f"control-{uuid.uuid4().hex[:10]}")["QueueUrl"]

    def slow(body: str, receive_count: int = 1, message_id: str = "") -> None:
        until(lambda: beats.asked == [10.0], "the heartbeat is not waiting a third of the timeout")
        sqs.change_message_visibility(QueueUrl=queues["queue"], ReceiptHandle=receipts[0], VisibilityTimeout=1)
        send(control, "clock")
        assert sqs.receive_message(QueueUrl=control, VisibilityTimeout=1)["Messages"]
        beats.beat()  # hidden for 30 s from now
        until(lambda: counts(control) == (1, 0), "the control message did not reappear", timeout=60)
        seen.append(counts(queues["queue"]))

    send(queues["queue"], "slow")
    worker = Worker(queues["queue"], slow, visibility_timeout=30, wait_seconds=1, sleep=beats.sleep)
    run_until(worker, lambda: len(seen) == 1 and counts(queues["queue"]) == (0, 0), timeout=90)
    assert seen == [(0, 1)]  # still in flight, not visible to another consumer


def test_a_failing_receive_backs_off_and_stop_cuts_the_wait_short(queues: dict[str, str]) -> None:
    """Receiving from a queue that does not exist fails at once: the waits between attempts grow
    (capped, jittered), and a stop during a wait ends it without waiting it out."""
    naps: list[float] = []

    async def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) >= 7:
            await asyncio.Event().wait()  # never ends by itself

    missing = queues["queue"] + "-missing"
    worker = Worker(missing, lambda body, receives=1, message_id="": None, wait_seconds=1, sleep=nap)
    run_until(worker, lambda: len(naps) == 7)
    assert len(naps) == 7  # stopped in the 7th wait, which never ends by itself
    for failures, seconds in enumerate(naps, 1):
        cap = min(30.0, 0.5 * 2**failures)
        assert cap * 0.5 <= seconds <= cap, (failures, naps)


def test_stop_ends_an_idle_long_poll_promptly(queues: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A stop during a 20 s poll of an empty queue ends the worker before the poll answers: the poll
    was cancelled, not waited out (which would have brought its empty answer first)."""
    session, polls, answers = aws.async_session(), list[str](), list[str]()
    session.register("before-send.sqs.ReceiveMessage", lambda **_: polls.append("sent"))
    session.register("after-call.sqs.ReceiveMessage", lambda **_: answers.append("answered"))
    monkeypatch.setattr(aws, "async_session", lambda: session)
    worker = Worker(queues["queue"], lambda body, receives=1, message_id="": None, wait_seconds=20)
    run_until(worker, lambda: bool(polls))  # the poll is out
    assert (polls, answers) == (["sent"], [])


def test_stop_lets_the_message_in_hand_finish(queues: dict[str, str]) -> None:
    finished: list[str] = []
    entered = threading.Event()

    def work(body: str, receive_count: int = 1, message_id: str = "") -> None:
        entered.set()
        until(worker.stopping.is_set, "the worker was not stopped")  # stopped while this message is in hand
        finished.append(body)

    send(queues["queue"], "in hand")
    worker = Worker(queues["queue"], work, wait_seconds=1)
    run_until(worker, entered.is_set)
    assert finished == ["in hand"]
    assert counts(queues["queue"]) == (0, 0)  # deleted, not left to reappear
