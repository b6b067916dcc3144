"""Composition root of the notifier."""

from __future__ import annotations

from services.notifier.handler import Deps, SnsAnnouncer, handle
from shared.ledger import RunLedger
from shared.queues import publisher_for
from shared.runtime.dispatch import body_handler
from shared.settings import get_settings


def build() -> Deps:
    s = get_settings()
    return Deps(
        ledger=RunLedger(s.table_name, lease_s=s.visibility_timeout_s),
        publisher=publisher_for(s, "notifier"),
        announcer=SnsAnnouncer(s.topic_arn),
        stale_after_days=s.stale_after_days,
        dashboard_url=s.dashboard_url,
    )


on_body = body_handler(handle, build, "notify")
