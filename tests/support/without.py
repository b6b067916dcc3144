"""A Python child process in which some packages cannot be imported, as where they are not installed.

`python_without(names)` is the code to put before a child's own: a `sys.meta_path` finder that makes
`import moto` (or any module under a blocked name) fail with ModuleNotFoundError, as in an
environment installed from requirements.lock alone. Cheaper than a venv without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# `covid-etl up`'s embedded emulator: moto, the werkzeug server it runs, and the package of its fixes
EMULATOR = ("moto", "werkzeug", "covid_etl.local")

BLOCKER = """
import sys

class Without:
    def __init__(self, names):
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if any(name == n or name.startswith(n + ".") for n in self.names):
            raise ModuleNotFoundError(f"No module named {name!r} (not installed here)", name=name)
        return None

sys.meta_path.insert(0, Without(NAMES))
"""


def python_without(names: Sequence[str], code: str, *args: str, env: dict[str, str] | None = None,
                   cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `code` in a child Python in which `names` cannot be imported."""
    child_env = {**(env if env is not None else os.environ), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", BLOCKER.replace("NAMES", repr(tuple(names))) + code, *args],
                          env=child_env, cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout)
