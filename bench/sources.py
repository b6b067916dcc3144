"""The sources' HTTP server for the benchmarks, with a network profile.

`loopback`: answers at once at full speed. `realistic`: waits 50 ms before each response (one
round trip to a CDN edge) and streams the body at 10 MB/s. Both answer conditional requests as a
CDN does: a strong ETag (the body's sha256) and Last-Modified on every 200; `If-None-Match`, else
`If-Modified-Since`, that still matches gets `304 Not Modified` with no body.
"""

from __future__ import annotations

import email.utils
import hashlib
import http.server
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CHUNK = 64 << 10


@dataclass(frozen=True)
class Profile:
    name: str
    latency_s: float
    bytes_per_s: float | None  # None: as fast as the socket goes


LOOPBACK = Profile("loopback", 0.0, None)
REALISTIC = Profile("realistic", 0.050, 10e6)


class SourceServer:
    """Serves the files of `folder` (re-read on change) under `/<name>` with `profile`'s timing."""

    def __init__(self, folder: Path, profile: Profile) -> None:
        self.folder, self.profile = folder, profile
        self.requests: list[tuple[str, int]] = []  # (path, status), for the report
        handler = type("Handler", (_Handler,), {"owner": self})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: SourceServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        profile = self.owner.profile
        if profile.latency_s:
            time.sleep(profile.latency_s)
        path = self.owner.folder / self.path.lstrip("/").split("?")[0]
        if not path.is_file():
            self._answer(404, b"not found", {})
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'
        mtime = int(path.stat().st_mtime)
        headers = {"ETag": etag, "Last-Modified": email.utils.formatdate(mtime, usegmt=True),
                   "Content-Type": "text/csv", "Cache-Control": "max-age=300"}
        if self._not_modified(etag, mtime):
            self._answer(304, b"", headers)
            return
        self._answer(200, body, headers)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        match = self.headers.get("If-None-Match")
        if match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
            return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return mtime <= email.utils.parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.owner.requests.append((self.path, status))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        rate = self.owner.profile.bytes_per_s
        start = time.monotonic()
        for offset in range(0, len(body), CHUNK):
            chunk = body[offset:offset + CHUNK]
            self.wfile.write(chunk)
            if rate:  # pace the stream: never ahead of rate bytes/s since the first byte
                ahead = (offset + len(chunk)) / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
