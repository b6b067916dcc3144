"""Warming the cache after each load: every region's default `/daily` response, rendered in the
background, so that no request after a load waits for its region's Query.

A long-running server's option (`create_app(warm=True)`, e.g. under gunicorn): each region's whole
series is what the dashboard asks for first, and a miss costs a Query of the region's ~420 items
(10-30 ms on DynamoDB; on the embedded emulator, whose Query walks the whole table, far more), which
at 64 connections would sit in every queued request's p99. A Lambda is not given it: its thread
would be frozen between invocations. The renders share the per-region reads with requests
(`Snapshot.series`), so a request for a region being warmed waits for the same read, not a second one.
"""

from __future__ import annotations

import logging
import threading

from services.api.cache import ResponseCache
from services.api.data_routes import build_daily, daily_key

log = logging.getLogger(__name__)


def warm(cache: ResponseCache) -> int:
    """Render each region's default response for the current version; stops when the version
    changes under it (the next version's warm-up takes over). Returns the regions rendered."""
    snap = cache.snapshot()
    done = 0
    for region in sorted(snap.catalogue):
        if cache.version() != snap.version:
            break
        try:
            cache.get(daily_key(region, None, None, "json", None), build_daily(region, None, None, "json", None))
            done += 1
        except Exception:  # a region that fails is read again by its first request; the others go on
            log.exception("warming %s failed", region)
    return done


def warm_in_background(cache: ResponseCache) -> None:
    """Start `warm` on a daemon thread (the cache's `on_new_version`)."""
    threading.Thread(target=warm, args=(cache,), name="cache-warm", daemon=True).start()
