"""Call one Lambda handler as the Python runtime would: `python3.12 -I -S lambda_host.py HANDLER
CODE_DIR [LAYER_DIR ...] --runtime RUNTIME_DIR`, the event as JSON on stdin, the result on stdout.

`-I -S`: nothing of the interpreter's own site-packages; the path is what Lambda's is: the
function's code (/var/task), each layer's `python/` (/opt/python), then the runtime's own
packages (boto3). The environment is the caller's, which gives exactly the template's variables.
Standard library only (it runs on the Lambda runtime's Python, not the project's venv).
"""

import importlib
import json
import os
import sys
import time
import uuid


class Context:
    """The parts of Lambda's context object that handlers and Powertools read."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{os.environ['AWS_REGION']}:000000000000:function:{name}"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "test"
        self._deadline = time.monotonic() + 60

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def main() -> int:
    args = sys.argv[1:]
    split = args.index("--runtime")
    handler, paths, runtime = args[0], args[1:split], args[split + 1]
    sys.path[:0] = [*paths, runtime]
    module, _, name = handler.rpartition(".")
    function = getattr(importlib.import_module(module), name)
    result = function(json.load(sys.stdin), Context(os.environ["AWS_LAMBDA_FUNCTION_NAME"]))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
