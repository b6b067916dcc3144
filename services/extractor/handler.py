"""Extractor: fetch each source, keep its raw bytes in S3, and tell whether anything changed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from services.extractor.fetch import fetch
from shared.blobs import BlobStore, sha256_hex
from shared.errors import InputError
from shared.layout import raw_key
from shared.ledger import LoadedSource
from shared.messages import (
    ExtractRequestedV1,
    Message,
    SourceName,
    SourcesExtractedV1,
    SourcesUnchangedV1,
    SourceVersion,
)
from shared.sources import source
from shared.stage import Outcome, StageDeps, run_stage
from shared.topology import EXTRACTOR


@dataclass(kw_only=True)
class Deps(StageDeps):
    blobs: BlobStore
    urls: dict[SourceName, str]
    timeout: float = 30.0
    max_bytes: int = 64 << 20
    attempts: int = 4
    # raw keys seen in the store: content-addressed and never deleted (only archive/ expires), so a warm
    # extractor need not ask again whether an unchanged source's bytes are still there
    stored: set[str] = field(default_factory=set)

    def has_raw(self, key: str) -> bool:
        if key not in self.stored and self.blobs.exists(key):
            self.stored.add(key)
        return key in self.stored


def handle(message: Message, deps: Deps) -> None:
    request = message.payload
    assert isinstance(request, ExtractRequestedV1)
    run_stage(EXTRACTOR, message, deps, lambda: extract(request, deps), opens=request.trigger)


def extract(request: ExtractRequestedV1, deps: Deps) -> Outcome:
    loaded = deps.ledger.source_versions()
    # the sources are fetched side by side: on a real network a run waits for the slower one, not the sum
    with ThreadPoolExecutor(max_workers=len(deps.urls) or 1) as pool:
        got = list(pool.map(lambda item: _extract_or_skip(item[0], item[1], loaded.get(item[0]), request.force, deps),
                            deps.urls.items()))
    sources = [s for s in got if isinstance(s, SourceVersion)]
    warnings = [s for s in got if isinstance(s, str)]
    record = {"sources": [s.model_dump(mode="json") for s in sources], "warnings": warnings}
    if any(s.changed for s in sources):
        return Outcome(SourcesExtractedV1(sources=sources, warnings=warnings), record)
    return Outcome(SourcesUnchangedV1(sources=sources, warnings=warnings), record)


def _extract_or_skip(name: SourceName, url: str, last: LoadedSource | None, force: bool,
                     deps: Deps) -> SourceVersion | str:
    """The source's version; for an optional source that cannot be fetched, a warning instead."""
    try:
        return _extract_one(name, url, last, force, deps)
    except InputError as error:
        declared = source(name)
        if declared.required:
            raise
        return (f"{name} skipped, the run goes on without it: {error.reason}. Without internet, set "
                f"{declared.url_var} to a local copy (e.g. {declared.local_copy}).")


def _extract_one(name: SourceName, url: str, last: LoadedSource | None, force: bool, deps: Deps) -> SourceVersion:
    # A conditional GET only makes sense against the same URL whose version we loaded.
    same = last is not None and last.get("url") == url and deps.has_raw(last["key"])
    got = fetch(url, etag=last.get("etag") if same and last else None,
                last_modified=last.get("last_modified") if same and last else None,
                timeout=deps.timeout, max_bytes=deps.max_bytes, attempts=deps.attempts, sleep=deps.clock.sleep)
    if got.data is None and last is not None:  # 304 Not Modified
        return SourceVersion(name=name, url=url, key=last["key"], sha256=last["sha256"], bytes=last["bytes"],
                             changed=force, etag=last.get("etag"), last_modified=last.get("last_modified"),
                             last_date=last.get("last_date"))
    data = got.data or b""
    digest = sha256_hex(data)
    key = raw_key(name, digest)
    # bytes other than the loaded version's are almost never stored yet: put them without asking first
    # (putting stored bytes again rewrites the same object); the loaded version's are asked about once
    if key not in deps.stored and (last is None or digest != last["sha256"] or not deps.has_raw(key)):
        deps.blobs.put(key, data, "text/csv")
        deps.stored.add(key)
    changed = force or last is None or last.get("sha256") != digest
    return SourceVersion(name=name, url=url, key=key, sha256=digest, bytes=len(data), changed=changed,
                         etag=got.etag, last_modified=got.last_modified,
                         last_date=None if changed or last is None else last.get("last_date"))
