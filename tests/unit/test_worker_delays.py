"""The container worker's default delay before a failed message is delivered again."""

from __future__ import annotations

from shared.runtime.worker import retry_delay


def test_a_failed_message_waits_2_to_the_n_seconds_at_most_a_minute() -> None:
    assert [retry_delay(n) for n in (1, 2, 5, 6, 10)] == [2, 4, 32, 60, 60]
