"""`python -m covid_etl.provision_main`: create the pipeline's resources on an emulator, once.

The one-shot `provision` service of docker-compose.yml. It waits for the endpoints to answer,
provisions (idempotently), and fails if a queue URL the services were given names another queue
than the one the emulator made, so a wrong compose file shows at start, not as silent workers.
"""

from __future__ import annotations

import os
import sys
import time
from urllib.parse import urlparse

from covid_etl.resources import Resources, provision
from shared.settings import Settings
from shared.topology import QUEUES, queue_url_var

WAIT_S = 120.0


def resources() -> Resources:
    return Settings().resources


def provision_when_ready(res: Resources, wait_s: float = WAIT_S) -> dict[str, str]:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return provision(res)
        except Exception as error:  # an endpoint still starting: connection refused, 5xx
            if time.monotonic() > deadline:
                raise
            print(f"waiting for the emulator: {error}", file=sys.stderr, flush=True)
            time.sleep(2)


def queue_path(url: str) -> list[str]:
    """Account and queue name: the part of a queue URL that does not depend on the host."""
    return urlparse(url).path.rstrip("/").split("/")[-2:]


def mismatches(made: dict[str, str], configured: dict[str, str]) -> list[str]:
    wrong = []
    for queue in QUEUES:
        key = queue_url_var(queue)
        if configured.get(key) and queue_path(configured[key]) != queue_path(made[key]):
            wrong.append(f"{key}={configured[key]} but the emulator made {made[key]}")
    return wrong


def main() -> int:
    made = provision_when_ready(resources())
    for key, value in sorted(made.items()):
        print(f"{key}={value}")
    wrong = mismatches(made, dict(os.environ))
    for line in wrong:
        print(f"error: {line}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
