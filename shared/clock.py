"""Time as a dependency: leases, backoff, heartbeats and run records read the clock through a `Clock`.

`SYSTEM` is the real one. `FakeClock` moves only when slept on or told to, so tests of leases and
backoff run without sleeping and without "took < 3 s" assertions that flake on a busy machine.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch (what leases are stored in)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (what deadlines and durations use)."""

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM: Clock = SystemClock()


def now_iso(clock: Clock = SYSTEM) -> str:
    """The clock's time as ISO 8601 UTC with milliseconds, as every record stores it."""
    return datetime.fromtimestamp(clock.time(), UTC).isoformat(timespec="milliseconds")


def today(clock: Clock = SYSTEM) -> date:
    return datetime.fromtimestamp(clock.time(), UTC).date()


class FakeClock:
    """A clock that stands still until `advance` or `sleep`; `sleep` returns at once. Thread-safe."""

    def __init__(self, start: float = 1_600_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)
