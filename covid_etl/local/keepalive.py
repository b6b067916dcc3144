"""Keep-alive connections for the embedded emulator's HTTP server.

werkzeug's development server, which moto's `ThreadedMotoServer` runs, answers every request with
`Connection: close`: Python's `http.server` cannot tell where an unread request body ends, so the
next request line on the connection could be read as body. Each request to the emulator therefore
opened a TCP connection, and the server started a thread for it (`socketserver.ThreadingMixIn`).
On a kept connection a small GetItem takes 1.1 ms instead of 1.7, a ListQueues 1.0 instead of 1.7
(median of 200 on a quiet machine; the emulator's costs per request are in docs/benchmarks.md).

`KeepAliveHandler` serves HTTP/1.1 requests whose body length is known (a `Content-Length`, or
no body) and keeps their connection open: the request body is read through a stream that counts
it, whatever the application left unread is discarded after the response, and the response goes
out with its length, in one write. Anything else (HTTP/1.0, a chunked request body, a client that
asks to close) is served by werkzeug's own code, which closes the connection, as before; an
application error is answered as werkzeug answers it (a 500, logged on its logger) and closes too.
"""

from __future__ import annotations

import contextlib
import io
import socket
import traceback
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.exceptions import InternalServerError
from werkzeug.serving import make_server

NO_BODY = {204, 304}


class CountedBody(io.RawIOBase):
    """A request body of `length` bytes on the connection: reads stop at its end; `drain` reads
    whatever the application left, so that the next request starts where it should."""

    def __init__(self, stream: Any, length: int) -> None:
        super().__init__()
        self.stream, self.left = stream, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self.left)
        if wanted <= 0:
            return 0
        data = self.stream.read(wanted)
        if not data:
            raise ConnectionError("the client closed the connection inside a request body")
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)

    def drain(self) -> None:
        while self.left > 0:
            if not self.readinto(bytearray(min(self.left, 1 << 20))):
                break


class KeepAliveHandler(MotoRequestHandler):
    def setup(self) -> None:
        super().setup()
        # the 100 Continue and the answer are two writes: without this the second waits on an ack
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # a `KeepAliveMotoServer`'s connections, which its `stop` closes
        self.kept: set[socket.socket] = getattr(self.server, "kept", set())
        self.kept.add(self.connection)

    def finish(self) -> None:
        self.kept.discard(self.connection)
        super().finish()

    def keeps_alive(self) -> bool:
        if self.request_version != "HTTP/1.1" or self.close_connection:
            return False
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return False
        length = self.headers.get("Content-Length")
        return length is None or length.isdigit()

    def run_wsgi(self) -> None:
        if not self.keeps_alive():
            super().run_wsgi()
            return
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = CountedBody(self.rfile, int(self.headers.get("Content-Length") or 0))
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = body
        started: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, headers]
            return chunks.append

        try:
            self.respond(self.server.app, environ, start_response, chunks)
        except Exception:
            # as werkzeug does: a 500, the error logged on werkzeug's logger (which `start_emulator`
            # quiets: moto raises for every action it lacks), and the connection closed
            self.server.log("error", f"Error on request:\n{traceback.format_exc()}")
            self.close_connection = True
            chunks.clear()
            self.respond(InternalServerError(), environ, start_response, chunks)
        status, headers = started
        code = int(status.split(" ", 1)[0])
        self.send_response(code, status.partition(" ")[2])
        head = self.command == "HEAD"
        for key, value in headers:
            if key.lower() in ("connection", "transfer-encoding") or (key.lower() == "content-length" and not head):
                continue
            self.send_header(key, value)
        bodyless = head or code in NO_BODY or code < 200  # what the app returned anyway is not sent
        data = b"" if bodyless else b"".join(chunks)
        if not bodyless:
            self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # the head and the body in one write: two small writes on a kept connection would wait on the
        # client's delayed acknowledgement (Nagle)
        self._headers_buffer.append(b"\r\n" + data)
        self.flush_headers()
        body.drain()

    @staticmethod
    def respond(app: Any, environ: dict[str, Any], start_response: Any, chunks: list[bytes]) -> None:
        result = app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()


class KeepAliveMotoServer(ThreadedMotoServer):
    """moto's threaded server with `KeepAliveHandler`. `stop` also closes the connections kept open,
    whose threads would otherwise go on answering after the server stopped listening."""

    def _server_entry(self) -> None:
        server: Any = make_server(self._ip_address, self._port, DomainDispatcherApplication(create_backend_app),
                                  True, request_handler=KeepAliveHandler)
        server.kept = set()
        self._server = server
        self._server_ready_event.set()
        server.serve_forever()

    def stop(self) -> None:
        super().stop()
        server: Any = self._server
        for connection in list(server.kept):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
