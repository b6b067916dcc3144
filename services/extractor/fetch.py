"""Downloading one source: HTTP(S) with a conditional GET, or a local file for offline use.

Streams the body with a size cap, retries with exponential backoff and jitter on 5xx, 429 and
timeouts (tenacity), and turns what cannot be fixed by retrying into an `InputError` that says so.
"""

from __future__ import annotations

import email.utils
import http.client
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from shared.errors import InputError

CHUNK = 1 << 16
USER_AGENT = "covid-etl/0.1 (+https://github.com/covid-etl)"


class Retryable(Exception):
    """A failure worth another try (5xx, 429, timeout, connection reset)."""


@dataclass(frozen=True)
class Fetched:
    """A download: `data` is None when the server answered 304 Not Modified."""

    data: bytes | None
    etag: str | None
    last_modified: str | None


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None,
          timeout: float = 30.0, max_bytes: int = 64 << 20, attempts: int = 4,
          sleep: Callable[[float], None] = time.sleep) -> Fetched:
    """The source's bytes (None on 304); 5xx, 429 and timeouts are retried with backoff, waited by `sleep`."""
    scheme = urllib.parse.urlparse(url).scheme
    if scheme in ("", "file"):
        return _read_file(url, last_modified, max_bytes)
    if scheme not in ("http", "https"):
        raise InputError(f"unsupported URL scheme {scheme!r} in {url}")
    fetch_once = retry(
        retry=retry_if_exception_type(Retryable), stop=stop_after_attempt(max(1, attempts)),
        wait=wait_random_exponential(multiplier=0.5, max=10), reraise=True, sleep=sleep,
    )(_get)
    try:
        return fetch_once(url, etag, last_modified, timeout, max_bytes)
    except Retryable as error:
        raise InputError(f"{url}: {error} (gave up after {attempts} attempts)") from error


def _get(url: str, etag: str | None, last_modified: str | None, timeout: float, max_bytes: int) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = _read_capped(response, max_bytes, url)
            return Fetched(data, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Fetched(None, etag, last_modified)
        if error.code >= 500 or error.code == 429:
            raise Retryable(f"HTTP {error.code} {error.reason}") from error
        raise InputError(f"{url}: HTTP {error.code} {error.reason}; check the source URL") from error
    except TimeoutError as error:
        raise Retryable(f"timed out after {timeout:g} s") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise Retryable(f"timed out after {timeout:g} s") from error
        raise Retryable(f"cannot connect: {error.reason}") from error
    except (ConnectionError, http.client.HTTPException) as error:
        raise Retryable(f"connection broken: {error}") from error


def _read_capped(stream, max_bytes: int, url: str) -> bytes:  # type: ignore[no-untyped-def]
    chunks, size = [], 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise InputError(f"{url}: larger than the size cap of {max_bytes} bytes "
                             "(COVID_ETL_MAX_SOURCE_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


def _read_file(url: str, last_modified: str | None, max_bytes: int) -> Fetched:
    path = urllib.parse.unquote(urllib.parse.urlparse(url).path) if url.startswith("file:") else url
    try:
        stamp = email.utils.format_datetime(datetime.fromtimestamp(os.stat(path).st_mtime, UTC), usegmt=True)
        if last_modified and stamp == last_modified:
            return Fetched(None, None, last_modified)
        with open(path, "rb") as f:
            return Fetched(_read_capped(f, max_bytes, url), None, stamp)
    except FileNotFoundError as error:
        raise InputError(f"{path}: no such file; check the source path") from error
    except OSError as error:  # a folder, no permission: retrying cannot help
        raise InputError(f"{path}: cannot read it ({error.strerror}); check the source path") from error
