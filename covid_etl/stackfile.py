"""`.covid-etl/stack.json`: how the CLI in another shell finds the stack that `covid-etl up` started.

`up` (`covid_etl.local.stack`) writes it once everything answers and removes it when it stops; the
CLI reads it here without importing the local stack (nor moto, which only the local stack needs).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TypedDict

STATE_DIR = ".covid-etl"


class StackFile(TypedDict):
    """What `up` writes: its pid, the API's and the AWS endpoint's URLs, each worker's pid, the environment."""

    pid: int
    api: str
    endpoint: str
    workers: dict[str, int]
    env: dict[str, str]


def state_file(root: Path | None = None) -> Path:
    return (root or Path.cwd()) / STATE_DIR / "stack.json"


def find_stack(start: Path | None = None) -> StackFile | None:
    """The stack that `covid-etl up` started here (this folder or a parent), if it still runs."""
    for folder in [start or Path.cwd(), *(start or Path.cwd()).parents]:
        path = state_file(folder)
        if path.is_file():
            state: StackFile = json.loads(path.read_text())
            try:
                os.kill(state["pid"], 0)
            except (ProcessLookupError, PermissionError):
                return None
            return state
    return None
