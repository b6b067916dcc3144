"""Composition root of the loader."""

from __future__ import annotations

from services.loader.handler import Deps, handle
from services.loader.repository import SeriesRepository
from shared.blobs import S3BlobStore
from shared.ledger import RunLedger
from shared.queues import publisher_for
from shared.runtime.dispatch import body_handler
from shared.settings import get_settings


def build() -> Deps:
    s = get_settings()
    return Deps(
        blobs=S3BlobStore(s.bucket_name),
        ledger=RunLedger(s.table_name, lease_s=s.visibility_timeout_s),
        publisher=publisher_for(s, "notifier"),
        series=SeriesRepository(s.table_name),
        lock_wait_s=s.load_lock_wait_s,
    )


on_body = body_handler(handle, build, "load")
