"""A source server for bad-input tests: serves files from memory, or fails a path on request.

`fail(name, 404)` answers with that status; `hang(name, seconds)` accepts the request and answers
only after `seconds` (longer than the extractor's timeout: a source that does not answer).
"""

from __future__ import annotations

import http.server
import threading
import time


class BadSources:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.faults: dict[str, tuple[str, float]] = {}
        self.hits: dict[str, int] = {}
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                name = self.path.lstrip("/").split("?", 1)[0]
                owner.hits[name] = owner.hits.get(name, 0) + 1
                kind, value = owner.faults.get(name, ("", 0))
                if kind == "status":
                    self.send_error(int(value))
                    return
                if kind == "hang":
                    time.sleep(value)
                data = owner.files.get(name)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def serve(self, nyt: str | bytes, jhu: str | bytes) -> None:
        """Serve this pair from now on, with no faults."""
        self.faults.clear()
        self.files = {"nyt.csv": _bytes(nyt), "jhu.csv": _bytes(jhu)}

    def fail(self, name: str, status: int) -> None:
        self.faults[name] = ("status", status)

    def hang(self, name: str, seconds: float) -> None:
        self.faults[name] = ("hang", seconds)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _bytes(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode()
