"""Composition root of the notifier."""

from __future__ import annotations

from services.notifier.handler import Deps, SnsAnnouncer, handle
from shared.ledger import RunLedger
from shared.queues import SqsPublisher
from shared.runtime.dispatch import body_handler
from shared.settings import get_settings


def build() -> Deps:
    s = get_settings()
    return Deps(
        ledger=RunLedger(s.table_name),
        publisher=SqsPublisher({"notifier": s.notifier_queue_url}),
        announcer=SnsAnnouncer(s.topic_arn),
    )


on_body = body_handler(handle, build)
