"""The transformer, declared: its spec, the kind its queue takes, its handler, its composition root."""

from __future__ import annotations

from services.transformer.handler import Deps, handle
from shared.blobs import S3BlobStore
from shared.messages import SourcesExtractedV1
from shared.runtime.service import Service, stage_deps
from shared.settings import Settings
from shared.topology import TRANSFORMER


def build(s: Settings) -> Deps:
    return Deps(**stage_deps(s, TRANSFORMER), blobs=S3BlobStore(s.bucket_name), join=s.join)


service = Service(TRANSFORMER, (SourcesExtractedV1,), handle, build)
