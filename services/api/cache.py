"""In-process cache of the data and rendered responses, keyed by the data version (the run id of the
last load).

The version is re-read with one GetItem at most once per `check_every_s`; when it changes, everything
cached for the old version is dropped at once. Per version, a `Snapshot` holds the catalogue, the
sources and each region's series as it is first asked for (one Query per region per version; a
second request for the same region waits for the first's read instead of repeating it). Each rendered
entry holds the body and its gzip bytes, compressed once, so a hit costs a dict lookup.

Memory is bounded twice: at most `max_regions` derived series (about 0.5 MB each in Python objects),
and rendered bodies up to `max_bytes` (a region's whole series is about 100 KB with its gzip copy, so
the default holds every region's default response: ~285 regions, ~30 MB), least recently used first out.
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
from services.api.store import LoadRecord, Region, Store, StoredRow
from shared.daily import Day
from shared.layout import US
from shared.ledger import DatasetVersion, LoadedSource

EMPTY = "empty"  # the version before the first load
MAX_BYTES = 64 * 2**20
MAX_REGIONS = 48
MAX_LOADS = 512  # load items never change once committed: kept across versions


@dataclass(frozen=True)
class Rendered:
    """One representation, ready to send: identity and gzip bytes with their strong ETags."""

    body: bytes
    gzipped: bytes
    etag: str
    etag_gzip: str
    content_type: str

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)


@dataclass(frozen=True)
class Series:
    """A region's current series in one data version: its items and the days derived from them."""

    region: str
    rows: list[StoredRow]
    derived: list[Day]


def render(version: str, key: str, body: bytes, content_type: str) -> Rendered:
    tag = f"{version}.{hashlib.sha1(key.encode()).hexdigest()[:12]}"
    # mtime=0 keeps the gzip bytes identical across workers, so one ETag means one byte string.
    return Rendered(body, gzip.compress(body, compresslevel=6, mtime=0), f'"{tag}"', f'"{tag}.gz"',
                    content_type)


def default_region() -> Region:
    """The US series on a table whose loader predates the catalogue (it was the only series then)."""
    return {"name": "United States", "country": "US", "province": None, "level": "country", "population": None,
            "first_date": None, "last_date": None, "sources": ["nyt", "jhu"]}


class Snapshot:
    """What one data version holds, read once per version: the catalogue, the sources, the dataset
    item, and each region's series on first use."""

    def __init__(self, store: Store, version: str, max_regions: int = MAX_REGIONS) -> None:
        self.store, self.version, self.max_regions = store, version, max_regions
        self.dataset: DatasetVersion | None = store.dataset_version()
        self.sources: dict[str, LoadedSource] = store.sources()
        catalogue = store.catalogue()
        if US not in catalogue:
            dataset = self.dataset
            catalogue[US] = {**default_region(), "first_date": dataset["first_date"] if dataset else None,
                             "last_date": dataset["last_date"] if dataset else None}
        self.catalogue: dict[str, Region] = catalogue
        self._lock = threading.Lock()
        self._series: OrderedDict[str, Series] = OrderedDict()
        self._reading: dict[str, threading.Lock] = {}

    @property
    def derived(self) -> list[Day]:
        """The default region's days (the summary's)."""
        return self.series(US).derived

    def series(self, region: str) -> Series:
        """A known region's series (the caller checks `region in catalogue`)."""
        with self._lock:
            found = self._series.get(region)
            if found is not None:
                self._series.move_to_end(region)
                return found
            reading = self._reading.setdefault(region, threading.Lock())
        with reading:  # one read per region: concurrent misses wait for it
            with self._lock:
                found = self._series.get(region)
            if found is None:
                rows = self.store.daily(region)
                found = Series(region, rows, with_derived(rows, self.catalogue[region].get("population")))
                with self._lock:
                    self._series[region] = found
                    while len(self._series) > self.max_regions:
                        self._series.popitem(last=False)
                    self._reading.pop(region, None)
        return found


class ResponseCache:
    """Snapshots and rendered responses for the current data version."""

    def __init__(self, store: Store, check_every_s: float = 1.0, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic, max_bytes: int = MAX_BYTES,
                 max_regions: int = MAX_REGIONS, on_new_version: Callable[[], None] | None = None) -> None:
        self.store, self.check_every_s, self.max_entries, self.clock = store, check_every_s, max_entries, clock
        self.max_bytes, self.max_regions = max_bytes, max_regions
        self.on_new_version = on_new_version  # e.g. start warming every region (services.api.warm)
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._checked_at = float("-inf")
        self._version: str | None = None
        self._snapshot: Snapshot | None = None
        self._entries: OrderedDict[str, Rendered] = OrderedDict()
        self._bytes = 0
        self._loads: OrderedDict[str, LoadRecord | None] = OrderedDict()

    def version(self) -> str:
        """The current data version, read from the store at most once per `check_every_s`."""
        now = self.clock()
        if now - self._checked_at >= self.check_every_s:
            item = self.store.dataset_version()
            version = str(item["version"]) if item and item.get("version") else EMPTY
            with self._lock:
                self._checked_at = now
                changed = version != self._version
                if changed:
                    self._version, self._snapshot = version, None
                    self._entries.clear()
                    self._bytes = 0
            if changed and self.on_new_version is not None:
                self.on_new_version()
        assert self._version is not None
        return self._version

    def snapshot(self) -> Snapshot:
        """The data of the current version, read once per version."""
        version = self.version()
        snap = self._snapshot
        if snap is not None and snap.version == version:
            return snap
        with self._building:  # one read of the catalogue per version, however many requests miss it
            snap = self._snapshot
            if snap is None or snap.version != version:
                # The version is read before the rows, the loader commits it after writing them, and the store
                # reads the rows consistently: they are never older than the version they are labelled with.
                snap = Snapshot(self.store, version, self.max_regions)
                with self._lock:
                    if self._version == version:
                        self._snapshot = snap
        return snap

    def load(self, run_id: str) -> LoadRecord | None:
        """A load's item, read once (a committed load is never rewritten)."""
        if run_id in self._loads:
            return self._loads[run_id]
        found = self.store.load_record(run_id)
        with self._lock:
            self._loads[run_id] = found
            while len(self._loads) > MAX_LOADS:
                self._loads.popitem(last=False)
        return found

    def get(self, key: str, build: Callable[[Snapshot], tuple[bytes, str]]) -> Rendered:
        """The cached response for `key`, built from the snapshot on a miss."""
        version = self.version()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit.etag.startswith(f'"{version}.'):
                self._entries.move_to_end(key)
                return hit
        snap = self.snapshot()
        body, content_type = build(snap)
        entry = render(snap.version, key, body, content_type)
        with self._lock:
            if snap.version == self._version:  # not a response of a version dropped meanwhile
                old = self._entries.pop(key, None)
                self._bytes += entry.size - (old.size if old else 0)
                self._entries[key] = entry
                while self._entries and (len(self._entries) > self.max_entries or self._bytes > self.max_bytes):
                    self._bytes -= self._entries.popitem(last=False)[1].size
        return entry
