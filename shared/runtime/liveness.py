"""A container worker's liveness file, and the probe that reads it (docker-compose's healthcheck).

The worker touches the file after every successful poll of its queue and while a message is in
work, so the file's age says whether it is polling. `python -m shared.runtime.liveness` exits 0
when the file named by `COVID_ETL_LIVENESS_FILE` is younger than `MAX_AGE_S`, 1 otherwise.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

# The poll loop turns at least every long poll (10 s), the heartbeat every visibility timeout / 3.
MAX_AGE_S = 90.0


def touch(path: str) -> None:
    """Mark the worker alive now; no path, no file."""
    if path:
        Path(path).touch()


def check(path: str, now: float | None = None, max_age_s: float = MAX_AGE_S) -> str | None:
    """None when alive; otherwise why not, for the probe's output."""
    if not path:
        return "COVID_ETL_LIVENESS_FILE is not set"
    try:
        age = (time.time() if now is None else now) - Path(path).stat().st_mtime
    except OSError:
        return f"{path} is missing: the worker has not polled its queue yet"
    return None if age <= max_age_s else f"the worker last polled {age:.0f} s ago (more than {max_age_s:.0f} s)"


def main() -> int:
    from shared.settings import Settings

    problem = check(Settings().liveness_file)
    print(problem or "alive", file=sys.stderr if problem else sys.stdout)
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main())
