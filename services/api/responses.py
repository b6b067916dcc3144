"""Turning rendered bytes into HTTP responses: conditional GET (304), gzip, caching headers."""

from __future__ import annotations

import hashlib
import json

from flask import Response, request

from services.api.cache import Rendered, render

DATA_CACHE = "public, max-age=60"  # data changes once a day; ETags make revalidation cheap
LIVE_CACHE = "no-cache"  # run history: always revalidate


def json_bytes(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _accepts_gzip() -> bool:
    """gzip (or `*`) listed in Accept-Encoding with a q-value above zero."""
    for coding in request.headers.get("Accept-Encoding", "").split(","):
        name, _, rest = coding.partition(";")
        if name.strip().lower() not in ("gzip", "*"):
            continue
        q = rest.strip().removeprefix("q=") if rest.strip().startswith("q=") else "1"
        try:
            return float(q) > 0
        except ValueError:
            return False
    return False


def _matches(header: str, entry: Rendered) -> bool:
    tags = {t.strip() for t in header.split(",")}
    return "*" in tags or bool(tags & {entry.etag, entry.etag_gzip})


def send(entry: Rendered, cache_control: str = DATA_CACHE) -> Response:
    """The entry as a response: 304 when If-None-Match matches, gzip when the client allows it."""
    gz = _accepts_gzip()
    headers = {"ETag": entry.etag_gzip if gz else entry.etag, "Cache-Control": cache_control,
               "Vary": "Accept-Encoding"}
    if _matches(request.headers.get("If-None-Match", ""), entry):
        return Response(status=304, headers=headers)
    if gz:
        headers["Content-Encoding"] = "gzip"
    return Response(entry.gzipped if gz else entry.body, headers=headers, content_type=entry.content_type)


def send_live(value: object, key: str) -> Response:
    """An uncached JSON response (run history) that still answers If-None-Match with 304."""
    body = json_bytes(value)
    return send(render(hashlib.sha256(body).hexdigest()[:16], key, body, "application/json"), LIVE_CACHE)
