"""The embedded emulator keeps its connections alive (covid_etl/local/keepalive.py): requests share one
connection, a body the application left unread does not leak into the next request, an error
closes the connection as werkzeug does, and a stopped server answers nothing more."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from werkzeug.serving import make_server
from werkzeug.wsgi import get_input_stream

from covid_etl.local.emulator import start_emulator
from covid_etl.local.keepalive import KeepAliveHandler
from tests.conftest import DUMMY_AWS, Emulator


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """/read answers the request body's length; /ignore reads nothing; /fail raises; HEAD and 304 as HTTP."""
    path = environ["PATH_INFO"]
    if path == "/fail":
        raise RuntimeError("boom")
    if path == "/not-modified":  # with a body, which HTTP does not let a 304 send
        start_response("304 Not Modified", [])
        return [b"not sent"]
    body = get_input_stream(environ).read() if path == "/read" else b""  # as Flask reads it
    answer = str(len(body)).encode()
    length = "12345" if environ["REQUEST_METHOD"] == "HEAD" else str(len(answer))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", length)])
    return [answer]


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    served: Any = make_server("127.0.0.1", 0, app, True, request_handler=KeepAliveHandler)
    served.kept = set()
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", served.server_address[1]
    finally:
        served.shutdown()
        served.server_close()


def ask(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None
        ) -> http.client.HTTPResponse:
    connection.request(method, path, body=body)
    response = connection.getresponse()
    response.read()
    return response


def test_requests_share_one_connection_and_an_unread_body_is_discarded(server: tuple[str, int]) -> None:
    connection = http.client.HTTPConnection(*server, timeout=5)
    first = ask(connection, "POST", "/ignore", b"x" * 300_000)  # more than the socket's buffers
    sock = connection.sock
    assert first.status == 200 and first.getheader("Connection") is None and not first.will_close
    connection.request("POST", "/read", body=b"abc")
    second = connection.getresponse()
    assert second.read() == b"3"  # the next request starts after the first one's body, not inside it
    assert connection.sock is sock


def test_head_keeps_the_applications_length_and_304_has_no_body(server: tuple[str, int]) -> None:
    connection = http.client.HTTPConnection(*server, timeout=5)
    head = ask(connection, "HEAD", "/read")
    assert head.status == 200 and head.getheader("Content-Length") == "12345" and not head.will_close
    assert ask(connection, "GET", "/not-modified").status == 304
    connection.request("POST", "/read", body=b"abcd")
    assert connection.getresponse().read() == b"4"  # the connection is still in step
    with socket.create_connection(server, timeout=5) as raw:  # http.client would hide stray bytes
        raw.sendall(b"GET /not-modified HTTP/1.1\r\nHost: test\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += raw.recv(4096)
        raw.settimeout(0.3)
        with pytest.raises(TimeoutError):
            answer += raw.recv(4096)
        assert answer.startswith(b"HTTP/1.1 304") and answer.endswith(b"\r\n\r\n"), answer


def test_an_application_error_is_a_500_that_closes_the_connection(server: tuple[str, int]) -> None:
    connection = http.client.HTTPConnection(*server, timeout=5)
    failed = ask(connection, "POST", "/fail", b"abc")
    assert failed.status == 500 and failed.getheader("Connection") == "close" and failed.will_close
    assert ask(http.client.HTTPConnection(*server, timeout=5), "POST", "/read", b"ab").status == 200


def test_http_1_0_and_chunked_bodies_are_served_and_closed_as_werkzeug_does(server: tuple[str, int]) -> None:
    old = http.client.HTTPConnection(*server, timeout=5)
    old._http_vsn, old._http_vsn_str = 10, "HTTP/1.0"  # type: ignore[attr-defined]
    assert ask(old, "POST", "/read", b"abc").getheader("Connection") == "close"
    chunked = http.client.HTTPConnection(*server, timeout=5)
    chunked.request("POST", "/read", body=iter([b"ab", b"cde"]), encode_chunked=True,
                    headers={"Transfer-Encoding": "chunked"})
    response = chunked.getresponse()
    assert response.read() == b"5" and response.getheader("Connection") == "close"


def test_the_emulators_clients_reuse_their_connections(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    connects: list[Any] = []
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        connects.append(address)
        original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    s3 = boto3.client("s3", endpoint_url=emulator.endpoint, region_name="us-east-1",
                      aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
                      aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"])
    s3.create_bucket(Bucket="keepalive-probe")
    for i in range(10):  # PutObject sends `Expect: 100-continue`: two answers on the one connection
        s3.put_object(Bucket="keepalive-probe", Key=f"k{i}", Body=b"x" * 2048)
        assert s3.get_object(Bucket="keepalive-probe", Key=f"k{i}")["Body"].read() == b"x" * 2048
    assert len(connects) == 1


def test_a_stopped_emulator_answers_nothing_on_a_kept_connection() -> None:
    server, endpoint = start_emulator()
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1",
                       config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=2),
                       aws_access_key_id=DUMMY_AWS["AWS_ACCESS_KEY_ID"],
                       aws_secret_access_key=DUMMY_AWS["AWS_SECRET_ACCESS_KEY"])
    sqs.list_queues()
    server.stop()
    with pytest.raises(EndpointConnectionError):
        sqs.list_queues()
