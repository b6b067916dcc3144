"""The loader, declared: its spec, the kind its queue takes, its handler, its composition root."""

from __future__ import annotations

from services.loader.handler import Deps, handle
from services.loader.repository import SeriesRepository
from shared.blobs import S3BlobStore
from shared.messages import DatasetTransformedV1
from shared.runtime.service import Service, stage_deps
from shared.settings import Settings
from shared.topology import LOADER


def build(s: Settings) -> Deps:
    series = SeriesRepository(s.table_name, per_transaction=s.transaction_items)
    return Deps(**stage_deps(s, LOADER), blobs=S3BlobStore(s.bucket_name), series=series,
                lock_wait_s=s.load_lock_wait_s)


service = Service(LOADER, (DatasetTransformedV1,), handle, build)
