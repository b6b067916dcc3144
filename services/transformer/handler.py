"""Transformer: parse and validate each declared source, build every region's series, store the dataset
(format 2, docs/regions.md) in S3."""

from __future__ import annotations

import hashlib
import importlib
import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import IO

import pandas as pd

from services.transformer.lookup import lookup_for_run
from services.transformer.transform import JoinPolicy
from services.transformer.world import world
from shared.blobs import BlobStore, sha256_hex
from shared.errors import InputError
from shared.layout import dataset_key
from shared.messages import DatasetTransformedV1, Message, SourcesExtractedV1, SourceVersion
from shared.sources import SOURCES, source
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
    raw_keys = [s.key for s in extracted.sources]
    frames, refused = _parse_all(extracted, deps, raw_keys)
    warnings = list(extracted.warnings)
    warnings += [f"{name} not used, the run goes on without it: {why}" for name, why in refused.items()
                 if name != "lookup"]
    lookup, found = lookup_for_run(frames.get("lookup"), _why_no_lookup(extracted, refused.get("lookup")))
    regions, more = world(frames, lookup, deps.join)
    warnings += found + more
    body = regions.to_json()
    digest = sha256_hex(body)
    key = dataset_key(digest)
    deps.blobs.put(key, body, "application/json")
    # model_copy does not validate: give it a date, not the frame's ISO string
    sources = [s.model_copy(update={"last_date": _last_date(frames.get(s.name))}) for s in extracted.sources]
    first, last = regions.span()
    out = DatasetTransformedV1(
        key=key, sha256=digest, rows=regions.rows, first_date=first, last_date=last, join_policy=deps.join,
        sources=sources, warnings=warnings)
    return Outcome(out, {"rows": regions.rows, "warnings": warnings})


def _parse_all(extracted: SourcesExtractedV1, deps: Deps,
               raw_keys: list[str]) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """Each source's frame by name, and why each optional source that does not parse is left out."""
    frames, refused = {}, {}
    for version in extracted.sources:
        try:
            frames[version.name] = _parsed(version, deps, raw_keys)
        except InputError as error:
            if source(version.name).required:
                raise
            refused[version.name] = error.reason
    missing = [s.name for s in SOURCES if s.required and s.name not in frames]
    if missing:
        raise InputError(f"required source(s) {', '.join(missing)} missing from the extracted sources; "
                         "run again (covid-etl run --force)", raw_keys)
    return frames, refused


def _why_no_lookup(extracted: SourcesExtractedV1, refused: str | None) -> str:
    if refused is not None:
        return f"lookup not used, the run goes on without it: {refused}"  # (the other optional sources' words)
    if not any(s.name == "lookup" for s in extracted.sources):
        return "regions: the run has no lookup table (it was not downloaded)"
    return ""  # not used: the run's table parsed


def _last_date(frame: pd.DataFrame | None) -> date | None:
    """A dated source's latest date (model_copy does not validate: a date, not the frame's ISO string)."""
    if frame is None or "date" not in frame or frame.empty:
        return None
    dates = frame["date"]
    if isinstance(dates.dtype, pd.CategoricalDtype):  # JHU's: the dates used, once each
        dates = pd.Series(dates.cat.remove_unused_categories().cat.categories.astype(str))
    return date.fromisoformat(str(dates.max()))


@cache
def parser(name: str) -> Callable[[IO[bytes]], pd.DataFrame]:
    """The declared parser of source `name`, imported from its `module:function` path."""
    module, function = source(name).parser.split(":")
    found: Callable[[IO[bytes]], pd.DataFrame] = getattr(importlib.import_module(module), function)
    return found


def _cached(version: SourceVersion, deps: Deps) -> pd.DataFrame | None:
    cached = deps.parsed.get(version.name)
    return cached[1] if cached and cached[0] == version.sha256 else None


def _parsed(version: SourceVersion, deps: Deps, raw_keys: list[str]) -> pd.DataFrame:
    cached = _cached(version, deps)
    if cached is not None:
        logger.info("%s unchanged (sha256 %s...): parsed frame reused", version.name, version.sha256[:12])
        return cached
    with _verified(version, deps.blobs) as raw:
        try:
            frame = parser(version.name)(raw)
        except InputError as error:
            raise InputError(f"{error.reason} (raw file kept at s3 key {version.key})", raw_keys) from error
    deps.parsed[version.name] = (version.sha256, frame)
    return frame


def _verified(version: SourceVersion, blobs: BlobStore) -> IO[bytes]:
    """The raw file streamed from the store into a spooled file, its sha256 checked on the way."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL)  # noqa: SIM115 (returned open, closed by the caller)
    digest = hashlib.sha256()
    for chunk in blobs.chunks(version.key):
        digest.update(chunk)
        spool.write(chunk)
    if digest.hexdigest() != version.sha256:
        spool.close()
        raise RuntimeError(f"{version.key}: sha256 does not match the message")  # retried
    spool.seek(0)
    return spool
