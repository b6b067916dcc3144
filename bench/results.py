"""Where each benchmark module keeps its figures: `artifacts/bench-<name>.json`, one row a figure.

`bench/before/` holds the same files as measured before the performance work, for the report.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
AFTER = ROOT / "artifacts"
BEFORE = ROOT / "bench" / "before"


def save(name: str, rows: list[dict[str, Any]]) -> Path:
    AFTER.mkdir(exist_ok=True)
    path = AFTER / f"bench-{name}.json"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    meta = {"measured": datetime.now(UTC).isoformat(timespec="seconds"), "load_end": os.getloadavg()[0],
            "commit": commit.strip() or "unknown",
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"}
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1, default=str))
    return path


def load(name: str, before: bool = False) -> dict[str, Any] | None:
    path = (BEFORE if before else AFTER) / f"bench-{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None
