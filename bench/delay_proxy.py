"""An HTTP proxy in front of the emulator that waits before each request and counts what it writes.

The AWS-latency profile of `bench.world`: a request to DynamoDB, S3 or SQS costs 1-3 ms on the
embedded emulator and 5-10 ms on AWS (STYLE.md), so every request through this proxy waits `delay_ms`
before it is forwarded; a path that makes many small requests pays for them as it would on AWS. It is
also where write units are counted (`bench.write_units`): every DynamoDB request's body is priced on
its way through. `GET /__bench__/counts` answers the counts so far (`?reset=1` starts them again).

Run as its own process (`python -m bench.delay_proxy TARGET DELAY_MS`, printing its port), so that
neither the pipeline's processes nor the baseline share its interpreter. Keeps connections alive both
ways (one upstream connection per client connection), as botocore does with the emulator.
"""

from __future__ import annotations

import http.client
import http.server
import json
import socket
import sys
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from bench.write_units import TARGET, writes

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
COUNTS = "/__bench__/counts"


class Tally:
    """Requests by operation; items and WCUs written by (table, partition kind)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.items: Counter[str] = Counter()
        self.units: Counter[str] = Counter()

    def add(self, operation: str, body: bytes) -> None:
        found = []
        if operation.startswith(TARGET):
            try:
                found = writes(operation, json.loads(body or b"{}"))
            except (ValueError, KeyError):
                found = []
        with self.lock:
            self.requests[operation] += 1
            for write in found:
                self.items[f"{write.table} {write.partition}"] += 1
                self.units[f"{write.table} {write.partition}"] += write.units

    def snapshot(self, reset: bool) -> dict[str, Any]:
        with self.lock:
            out = {"requests": dict(self.requests), "items": dict(self.items), "units": dict(self.units)}
            if reset:
                self.reset()
        return out


class Proxy:
    def __init__(self, target: str, delay_ms: float, port: int = 0) -> None:
        self.tally = Tally()
        parts = urlsplit(target)
        handler = type("Handler", (_Handler,), {"upstream": (parts.hostname, parts.port), "tally": self.tally,
                                               "delay_s": delay_ms / 1000})
        self.httpd = _Server(("127.0.0.1", port), handler)
        self.httpd.daemon_threads = True
        self.httpd.request_queue_size = 256

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client that went away is no error of ours
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    upstream: tuple[str, int]
    tally: Tally
    delay_s: float
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: without it, each waits for a delayed ACK
    conn: http.client.HTTPConnection | None = None

    def log_message(self, *args: object) -> None:
        pass

    def finish(self) -> None:
        super().finish()
        if self.conn is not None:
            self.conn.close()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _forward(self) -> None:
        body = self._body()
        if self.path.startswith(COUNTS):
            self._reply(200, [("Content-Type", "application/json")],
                        json.dumps(self.tally.snapshot("reset=1" in self.path)).encode())
            return
        operation = self.headers.get("X-Amz-Target") or f"{self.command} /{self.path.split('?')[0].split('/')[1]}"
        self.tally.add(operation, body)
        time.sleep(self.delay_s)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # an idle upstream connection may have been closed by the emulator
            if self.conn is None:
                self.conn = http.client.HTTPConnection(*self.upstream, timeout=120)
                self.conn.connect()
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.conn.request(self.command, self.path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        keep = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP and k.lower() != "content-length"]
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        self._reply(response.status, keep, data, length)

    def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes, length: str | None = None) -> None:
        self.send_response_only(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", length or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815 (http.server's names)


def main(argv: list[str]) -> int:
    """`python -m bench.delay_proxy http://127.0.0.1:PORT DELAY_MS`: prints its endpoint, serves until killed."""
    proxy = Proxy(argv[0], float(argv[1]))
    print(proxy.endpoint, flush=True)
    proxy.httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
