"""A local HTTP source server: serves a folder on 127.0.0.1 with Last-Modified / If-Modified-Since.

`put()` replaces the served files the way an upstream publishes a new version. Paths can be made
to fail (`fail("/nyt.csv", 500)`) and every request is counted, for retry and fault tests.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

Content = bytes | str | os.PathLike[str]
LOOKUP_FILE = Path(__file__).resolve().parent / "lookup.csv"  # the excerpt described in `fixtures`


class _Handler(http.server.SimpleHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.requests.append((path, dict(self.headers)))
            status = self.server.failures.get(path)
        if status is not None:
            self.send_error(status)
            return None
        return super().send_head()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path) -> None:
        super().__init__(("127.0.0.1", 0), functools.partial(_Handler, directory=str(folder)))
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.failures: dict[str, int] = {}


class SourceServer:
    """Serves `folder` (a new temp folder by default) until `stop()`; also a context manager."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder or tempfile.mkdtemp(prefix="sources-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self._server = _Server(self.folder)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._stamp = 0  # the Last-Modified second of the last put
        self.write("lookup.csv", LOOKUP_FILE)  # the optional source, served beside any pair put here

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    @property
    def hits(self) -> Counter[str]:
        return self._server.hits

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return self._server.requests

    def fail(self, path: str, status: int | None) -> None:
        """Answer `path` with `status` from now on (None: serve it normally again)."""
        with self._server.lock:
            if status is None:
                self._server.failures.pop(path, None)
            else:
                self._server.failures[path] = status

    def write(self, name: str, content: Content) -> None:
        target = self.folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        elif isinstance(content, str):
            target.write_text(content, encoding="utf-8", newline="")
        else:
            shutil.copyfile(content, target)

    def put(self, files: dict[str, Content]) -> None:
        """Publish a new version of the files. Last-Modified has a one-second resolution, so each
        put stamps its files (their mtime, which the server sends) a second past the last put's,
        or now if later: a conditional GET sees each version as newer, without waiting a second."""
        self._stamp = max(int(time.time()), self._stamp + 1)
        for name, content in files.items():
            self.write(name, content)
            os.utime(self.folder / name, (self._stamp, self._stamp))

    def put_pair(self, pair: tuple[Content, Content]) -> None:
        """Publish an (nyt, jhu) pair as `nyt.csv` and `jhu.csv`."""
        self.put({"nyt.csv": pair[0], "jhu.csv": pair[1]})

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SourceServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
