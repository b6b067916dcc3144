"""Composition root of the extractor: builds its adapters from settings, for both runtimes."""

from __future__ import annotations

from services.extractor.handler import Deps, handle
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
        publisher=publisher_for(s, "transformer", "notifier"),
        urls={"nyt": s.nyt_url, "jhu": s.jhu_url},
        timeout=s.http_timeout_s,
        max_bytes=s.max_source_bytes,
        attempts=s.http_retries,
    )


on_body = body_handler(handle, build, "extract")
