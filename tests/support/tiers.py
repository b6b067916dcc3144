"""A tier that cannot run here: skipped, with its reason, on a developer's machine; a failure in CI.

GitHub sets CI=true (so does `.ci/run`): there a missing browser, Java, Python 3.12 or LocalStack
is a broken CI setup, and a green run must not hide it. The real source snapshots are the one
exception, and an explicit one: they live beside the project (../shared/data), not in it, so a CI
without them says so with COVID_ETL_NO_REAL_DATA=1 (.github/workflows/ci.yml does).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def strict() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


def unavailable(reason: str) -> NoReturn:
    """Skip with `reason`; under CI=true, fail with it."""
    if strict():
        pytest.fail(f"CI=true, and this tier cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def no_real_data(reason: str) -> NoReturn:
    """The real snapshots are absent: skip, unless CI=true and the CI did not declare them absent."""
    if strict() and os.environ.get("COVID_ETL_NO_REAL_DATA") != "1":
        pytest.fail(f"CI=true and {reason}; set COVID_ETL_NO_REAL_DATA=1 where they are absent on purpose",
                    pytrace=False)
    pytest.skip(reason)
