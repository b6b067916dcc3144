"""A fault-injecting HTTP proxy in front of the AWS emulator, switched at runtime by the test.

The workers reach AWS through it (`AWS_ENDPOINT_URL=proxy.url`). Each request is named by its
operation: DynamoDB and JSON-protocol SQS by `X-Amz-Target` (`BatchWriteItem`), query-protocol
services by the `Action` form field (`Publish`), S3 by method and path (`PUT /bucket/raw/...`).
A `Rule` matches operations (and optionally a substring of the path) and does one fault:

- `unprocessed`: forward only the first half of each BatchWriteItem, answer the rest as
  `UnprocessedItems`, as DynamoDB does under load (the caller must resend them);
- `throttle`: HTTP 400 `ProvisionedThroughputExceededException` (or another error `code`);
- `error`: an HTTP 500 `InternalServerError` (or a 400 with a non-retryable `code`);
- `delay`: wait `seconds`, then forward;
- `drop`: close the connection without an answer (op `*` matches every request: AWS unreachable);
- `stall`: hold the request until `release()`, then drop the connection without forwarding
  (the effect never reaches AWS, as when the caller dies mid-request).

`body` narrows a rule to requests whose body holds that text (`LOAD`: the loader's fenced writes).
`skip` lets that many matches pass first; `times` limits how often the rule fires.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import socket
import threading
import urllib.parse
import zlib
from dataclasses import dataclass, field
from typing import Any

THROTTLE = "ProvisionedThroughputExceededException"
# In the body of the loader's fenced transactions only (each checks or releases the load lock's item):
# the other TransactWriteItems, a stage's record with its claim's completion, name no lock.
LOAD = '{"S": "lock"}'


@dataclass
class Rule:
    op: str
    action: str
    path: str = ""
    body: str = ""  # a substring of the request body (`LOAD`: the loader's fenced transactions)
    code: str = ""
    seconds: float = 0.0
    skip: int = 0
    times: int | None = None
    seen: int = 0
    fired: int = 0
    hit: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def take(self, op: str, path: str, body: bytes = b"") -> bool:
        """Whether this rule fires on the request (counts matches as a side effect)."""
        if self.op not in (op, "*") or self.path not in path or self.body.encode() not in body:
            return False
        self.seen += 1
        if self.seen <= self.skip or (self.times is not None and self.fired >= self.times):
            return False
        self.fired += 1
        self.hit.set()
        return True

    def release(self) -> None:
        self.released.set()


def operation(method: str, path: str, headers: Any, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if body and "x-www-form-urlencoded" in (headers.get("Content-Type") or ""):
        action = urllib.parse.parse_qs(body.decode(errors="replace")).get("Action")
        if action:
            return action[0]
    return f"S3:{method}"


class FaultProxy:
    """Forwards to `upstream` (http://host:port) on a free port of 127.0.0.1 until `stop()`."""

    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.rules: list[Rule] = []
        self.lock = threading.Lock()
        self.log: list[tuple[str, str, Any]] = []  # (op, path, note) of every BatchWriteItem and fault
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(self, rule: Rule) -> Rule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            rules, self.rules = self.rules, []
        for rule in rules:
            rule.release()

    def batch_runs(self) -> list[str]:
        """The run id written by each batch or transaction that reached the emulator, in order."""
        with self.lock:
            notes = [note for op, _, note in self.log if op in WRITES]
        return [note for note in notes if note and not note.startswith("fault:")]

    def stop(self) -> None:
        self.clear()
        self.server.shutdown()
        self.server.server_close()

    def _match(self, op: str, path: str, body: bytes) -> Rule | None:
        with self.lock:
            return next((r for r in self.rules if r.take(op, path, body)), None)

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                op = operation(self.command, self.path, self.headers, body)
                rule = proxy._match(op, self.path, body)
                if rule is not None:
                    with proxy.lock:
                        proxy.log.append((op, self.path, f"fault:{rule.action}"))
                    if self.fault(rule, op, body):
                        return
                    if rule.action == "unprocessed":
                        body, rest = split_batch(body)
                        self.forward(op, body, unprocessed=rest)
                        return
                self.forward(op, body)

            def fault(self, rule: Rule, op: str, body: bytes) -> bool:
                """Do the rule's fault; True if the request is answered (or dropped) by it."""
                if rule.action == "delay":
                    rule.released.wait(rule.seconds)
                    return False
                if rule.action in ("stall", "drop"):
                    if rule.action == "stall":
                        rule.released.wait(120)
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return True
                if rule.action == "throttle":
                    self.reply(400, {"__type": f"com.amazonaws.dynamodb.v20120810#{rule.code or THROTTLE}",
                                     "message": "Rate of requests exceeds the allowed throughput (injected)"})
                    return True
                if rule.action == "error":
                    code = rule.code or "InternalServerError"
                    self.reply(400 if rule.code else 500, {"__type": f"com.amazonaws.dynamodb.v20120810#{code}",
                                                           "message": f"injected fault: {code}"})
                    return True
                return False

            def forward(self, op: str, body: bytes, unprocessed: dict[str, Any] | None = None) -> None:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("content-length", "expect")}
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                    status, out_headers = response.status, response.getheaders()
                except (OSError, http.client.HTTPException):  # the emulator went away: so does the answer
                    self.close_connection = True
                    return
                finally:
                    conn.close()
                if op in WRITES and status == 200:
                    with proxy.lock:
                        proxy.log.append((op, self.path, batch_run_id(body)))
                    if unprocessed:
                        answer = json.loads(data)
                        answer["UnprocessedItems"] = unprocessed
                        data = json.dumps(answer).encode()
                self.send_response(status)
                for key, value in out_headers:
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "x-amz-crc32",
                                           "server", "date"):
                        self.send_header(key, value)
                if op in WRITES or "x-amz-crc32" in {k.lower() for k, _ in out_headers}:
                    self.send_header("x-amz-crc32", str(zlib.crc32(data) & 0xFFFFFFFF))
                upstream_length = response.getheader("Content-Length") or "0"
                self.send_header("Content-Length", upstream_length if self.command == "HEAD" else str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def reply(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("x-amz-crc32", str(zlib.crc32(data) & 0xFFFFFFFF))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_any  # noqa: N815

        return Handler


WRITES = ("BatchWriteItem", "TransactWriteItems")  # the loader writes rows with the latter (fenced)

def split_batch(body: bytes) -> tuple[bytes, dict[str, Any]]:
    """Keep the first half of each table's requests in the body; return the rest."""
    request = json.loads(body)
    kept, rest = {}, {}
    for table, items in request["RequestItems"].items():
        half = max(1, len(items) // 2)
        kept[table] = items[:half]
        if items[half:]:
            rest[table] = items[half:]
    request["RequestItems"] = kept
    return json.dumps(request).encode(), rest


def batch_run_id(body: bytes) -> str:
    """The run id the loader stamps on the rows of a BatchWriteItem or a fenced TransactWriteItems
    ('' if none: a transaction that only marks or commits)."""
    try:
        request = json.loads(body)
        if "TransactItems" in request:
            puts = [a["Put"]["Item"] for a in request["TransactItems"] if "Put" in a]
            return next((str(p["run_id"]["S"]) for p in puts if "run_id" in p), "")
        items = next(iter(request["RequestItems"].values()))
        return str(items[0]["PutRequest"]["Item"]["run_id"]["S"])
    except (ValueError, KeyError, IndexError, StopIteration, TypeError):
        return ""
