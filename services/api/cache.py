"""In-process cache of rendered responses, keyed by the data version (the run id of the last load).

The version is re-read with one GetItem at most once per `check_every_s`; when it changes the
whole cache is dropped. Each entry holds the body and its gzip bytes, compressed once, so a hit
costs a dict lookup and no serialisation.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from services.api.derive import with_derived
from services.api.store import Store
from shared.daily import Day
from shared.ledger import DatasetVersion, LoadedSource

EMPTY = "empty"  # the version before the first load


@dataclass(frozen=True)
class Rendered:
    """One representation, ready to send: identity and gzip bytes with their strong ETags."""

    body: bytes
    gzipped: bytes
    etag: str
    etag_gzip: str
    content_type: str


@dataclass(frozen=True)
class Snapshot:
    """What one data version holds: the derived series, source versions and the dataset item."""

    version: str
    derived: list[Day]
    sources: dict[str, LoadedSource]
    dataset: DatasetVersion | None


def render(version: str, key: str, body: bytes, content_type: str) -> Rendered:
    tag = f"{version}.{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    # mtime=0 keeps the gzip bytes identical across workers, so one ETag means one byte string.
    return Rendered(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{tag}"', f'"{tag}.gz"',
                    content_type)


class ResponseCache:
    """Snapshots and rendered responses for the current data version."""

    def __init__(self, store: Store, check_every_s: float = 1.0, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store, self.check_every_s, self.max_entries, self.clock = store, check_every_s, max_entries, clock
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._version: str | None = None
        self._snapshot: Snapshot | None = None
        self._entries: OrderedDict[str, Rendered] = OrderedDict()

    def version(self) -> str:
        """The current data version, read from the store at most once per `check_every_s`."""
        now = self.clock()
        if now - self._checked_at >= self.check_every_s:
            item = self.store.dataset_version()
            version = str(item["version"]) if item and item.get("version") else EMPTY
            with self._lock:
                self._checked_at = now
                if version != self._version:
                    self._version, self._snapshot = version, None
                    self._entries.clear()
        assert self._version is not None
        return self._version

    def snapshot(self) -> Snapshot:
        """The data of the current version, read once per version."""
        version = self.version()
        snap = self._snapshot
        if snap is None or snap.version != version:
            # The version is read before the rows, the loader commits it after writing them, and the
            # store reads the rows consistently: they are never older than the version they are labelled with.
            snap = Snapshot(version, with_derived(self.store.daily()), self.store.sources(),
                            self.store.dataset_version())
            with self._lock:
                if self._version == version:
                    self._snapshot = snap
        return snap

    def get(self, key: str, build: Callable[[Snapshot], tuple[bytes, str]]) -> Rendered:
        """The cached response for `key`, built from the snapshot on a miss."""
        version = self.version()
        hit = self._entries.get(key)
        if hit is not None and hit.etag.startswith(f'"{version}.'):
            return hit
        snap = self.snapshot()
        body, content_type = build(snap)
        entry = render(snap.version, key, body, content_type)
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self.max_entries:  # arbitrary ranges must not grow it forever
                self._entries.popitem(last=False)
        return entry
