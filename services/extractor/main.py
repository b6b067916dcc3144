"""The extractor, declared: its spec, the kind its queue takes, its handler, its composition root."""

from __future__ import annotations

from services.extractor.handler import Deps, handle
from shared.blobs import S3BlobStore
from shared.messages import ExtractRequestedV1
from shared.runtime.service import Service, stage_deps
from shared.settings import Settings
from shared.topology import EXTRACTOR


def build(s: Settings) -> Deps:
    return Deps(**stage_deps(s, EXTRACTOR), blobs=S3BlobStore(s.bucket_name), urls=dict(s.source_urls),
                timeout=s.http_timeout_s, max_bytes=s.max_source_bytes, attempts=s.http_retries)


service = Service(EXTRACTOR, (ExtractRequestedV1,), handle, build)
