"""Records the AWS calls of each covid-etl service process, for `tests/e2e/test_iam.py`.

Loaded by every Python process started with this folder on PYTHONPATH. When `COVID_ETL_IAM_TRACE`
names a folder, each call of a sync botocore client made by a service process is appended to
`<folder>/<pid>.jsonl` as one JSON line: the service, the operation and its parameters (bodies
left out), and the error code and HTTP status when it failed (a HeadObject's 404).

Which process is which service: `python -m shared.runtime <service>` is that service; the
gunicorn process serving `services.api.app:create_app()` is `api`. Other processes (`covid-etl up`,
`covid-etl run`) are the operator, not a service: nothing of theirs is recorded.

What counts as the handler's: the container worker polls, deletes and extends visibility with
aiobotocore, whose client does not go through `BaseClient._make_api_call`, so those calls never
reach this hook (in Lambda the event source mapping makes them). The container-only warm-up
(`shared/runtime/warm.py`) does use sync clients: a call with a frame of that file on its stack
is marked `warm_up` and the test leaves it out. Every other call of a worker process is its
handler's (threads the handler starts included), as it would be in Lambda.
"""

import json
import os
import sys
import threading

_folder = os.environ.get("COVID_ETL_IAM_TRACE")
_WARM_UP = os.path.join("shared", "runtime", "warm.py")


def _service():  # type: ignore[no-untyped-def]
    argv = sys.argv
    if any("services.api.app:create_app" in arg for arg in argv):
        return "api"
    if len(argv) == 2 and argv[0].endswith(os.path.join("shared", "runtime", "__main__.py")):
        return argv[1]
    return None


def _in_warm_up():  # type: ignore[no-untyped-def]
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code.co_filename.endswith(_WARM_UP):
            return True
        frame = frame.f_back
    return False


def _plain(value):  # type: ignore[no-untyped-def]
    # bodies (bytes, files) are not needed to judge a call, and would bloat the trace
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "Body"}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return f"<{type(value).__name__}>"


if _folder:
    try:
        import botocore.client as _client
        from botocore.exceptions import ClientError as _ClientError

        _original = _client.BaseClient._make_api_call
        _lock = threading.Lock()

        def _recorded(self, operation, params):  # type: ignore[no-untyped-def]
            service = _service()
            if service is None:
                return _original(self, operation, params)
            line = {"service": service, "pid": os.getpid(), "thread": threading.current_thread().name,
                    "aws": self.meta.service_model.service_name, "op": operation, "params": _plain(params),
                    "warm_up": _in_warm_up(), "error": None, "status": 200}
            try:
                return _original(self, operation, params)
            except _ClientError as error:
                line["error"] = error.response.get("Error", {}).get("Code")
                line["status"] = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                raise
            finally:
                with _lock, open(os.path.join(_folder, f"{os.getpid()}.jsonl"), "a") as out:
                    out.write(json.dumps(line) + "\n")

        _client.BaseClient._make_api_call = _recorded
    except ImportError:
        pass
