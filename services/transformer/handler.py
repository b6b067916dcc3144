"""Transformer: parse and validate both sources, join them, store the records in S3."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import date
from typing import IO

import pandas as pd

from services.transformer.parse import parse_jhu, parse_nyt
from services.transformer.transform import JoinPolicy, to_records, transform
from shared.blobs import BlobStore, sha256_hex
from shared.errors import InputError
from shared.layout import dataset_key
from shared.messages import DatasetTransformedV1, Message, SourcesExtractedV1, SourceVersion
from shared.stage import Outcome, StageDeps, run_stage
from shared.topology import TRANSFORMER


@dataclass(kw_only=True)
class Deps(StageDeps):
    blobs: BlobStore
    join: JoinPolicy = "inner"
    # each source's last parsed frame by its raw sha256: an unchanged source is not read or parsed again
    parsed: dict[str, tuple[str, pd.DataFrame]] = field(default_factory=dict)


logger = logging.getLogger(__name__)
SPOOL = 32 << 20  # raw files below this stay in memory while parsed, larger ones go to a temporary file


def handle(message: Message, deps: Deps) -> None:
    extracted = message.payload
    assert isinstance(extracted, SourcesExtractedV1)
    run_stage(TRANSFORMER, message, deps, lambda: transform_sources(extracted, deps))


def transform_sources(extracted: SourcesExtractedV1, deps: Deps) -> Outcome:
    by_name: dict[str, SourceVersion] = {s.name: s for s in extracted.sources}
    raw_keys = [s.key for s in extracted.sources]
    frames = {name: _parsed(by_name[name], deps, raw_keys) for name in ("nyt", "jhu")}
    joined, warnings = transform(frames["nyt"], frames["jhu"], deps.join)
    records = to_records(joined)
    body = json.dumps({"records": records}, separators=(",", ":")).encode()
    digest = sha256_hex(body)
    key = dataset_key(digest)
    deps.blobs.put(key, body, "application/json")
    # model_copy does not validate: give it a date, not the frame's ISO string
    sources = [s.model_copy(update={"last_date": date.fromisoformat(frames[s.name]["date"].max())})
               for s in extracted.sources]
    dates = [str(r["date"]) for r in records]
    out = DatasetTransformedV1(
        key=key, sha256=digest, rows=len(records), first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None, join_policy=deps.join, sources=sources, warnings=warnings)
    return Outcome(out, {"rows": len(records), "warnings": warnings})


def _cached(source: SourceVersion, deps: Deps) -> pd.DataFrame | None:
    cached = deps.parsed.get(source.name)
    return cached[1] if cached and cached[0] == source.sha256 else None


def _parsed(source: SourceVersion, deps: Deps, raw_keys: list[str]) -> pd.DataFrame:
    cached = _cached(source, deps)
    if cached is not None:
        logger.info("%s unchanged (sha256 %s...): parsed frame reused", source.name, source.sha256[:12])
        return cached
    with _verified(source, deps.blobs) as raw:
        try:
            frame = parse_jhu(raw) if source.name == "jhu" else parse_nyt(raw.read())
        except InputError as error:
            raise InputError(f"{error.reason} (raw file kept at s3 key {source.key})", raw_keys) from error
    deps.parsed[source.name] = (source.sha256, frame)
    return frame


def _verified(source: SourceVersion, blobs: BlobStore) -> IO[bytes]:
    """The raw file streamed from the store into a spooled file, its sha256 checked on the way."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (returned open, closed by the caller)
    digest = hashlib.sha256()
    for chunk in blobs.chunks(source.key):
        digest.update(chunk)
        spool.write(chunk)
    if digest.hexdigest() != source.sha256:
        spool.close()
        raise RuntimeError(f"{source.key}: sha256 does not match the message")  # retried
    spool.seek(0)
    return spool
