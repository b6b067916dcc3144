"""Loaded by every Python process started with this folder on PYTHONPATH (`bench.requests`): each
botocore call (sync clients; the workers' SQS polls run on aiobotocore and are not counted) is
appended to `$BENCH_TRACE_CALLS` as one JSON line: process, operation, start time and duration."""

import json
import os
import sys
import time

_out = os.environ.get("BENCH_TRACE_CALLS")
if _out:
    try:
        import botocore.client as _client

        _original = _client.BaseClient._make_api_call

        def _traced(self, operation, params):  # type: ignore[no-untyped-def]
            started, t0 = time.time(), time.perf_counter()
            try:
                return _original(self, operation, params)
            finally:
                line = {"process": " ".join(sys.argv[-2:]), "pid": os.getpid(), "op": operation,
                        "service": self.meta.service_model.service_name, "t": started,
                        "ms": round((time.perf_counter() - t0) * 1000, 2)}
                with open(_out, "a") as f:
                    f.write(json.dumps(line) + "\n")

        _client.BaseClient._make_api_call = _traced
    except ImportError:
        pass
