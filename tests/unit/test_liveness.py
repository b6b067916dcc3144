"""The container worker's liveness file, as docker-compose's healthcheck reads it."""

from __future__ import annotations

import os
from pathlib import Path

from shared.runtime import liveness


def test_alive_while_the_file_is_fresh(tmp_path: Path) -> None:
    path = tmp_path / "alive"
    assert "not set" in (liveness.check("") or "")
    assert "has not polled" in (liveness.check(str(path)) or "")
    liveness.touch(str(path))
    assert liveness.check(str(path)) is None
    os.utime(path, (1000.0, 1000.0))
    assert liveness.check(str(path), now=1000.0 + liveness.MAX_AGE_S) is None
    assert "last polled 91 s ago" in (liveness.check(str(path), now=1091.0) or "")


def test_no_path_no_file(tmp_path: Path) -> None:
    liveness.touch("")
    assert list(tmp_path.iterdir()) == []
