"""Fixtures shared by every tier: the AWS emulator (moto over HTTP) and per-test resources."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from covid_etl.local.emulator import start_emulator
from shared import aws
from shared.settings import get_settings

DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
             "AWS_DEFAULT_REGION": "us-east-1"}


def clear_caches() -> None:
    """AWS clients and settings are cached per process; a changed environment needs new ones."""
    aws.forget_clients()
    get_settings.cache_clear()


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    port: int


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """moto's server on 127.0.0.1 (a free port), with the environment pointing every client at it."""
    server, endpoint = start_emulator()
    port = int(endpoint.rsplit(":", 1)[1])
    patch = pytest.MonkeyPatch()
    for key in [k for k in os.environ if k.startswith(("AWS_ENDPOINT_URL", "COVID_ETL_")) or k == "AWS_PROFILE"]:
        patch.delenv(key)
    for key, value in DUMMY_AWS.items():
        patch.setenv(key, value)
    patch.setenv("AWS_ENDPOINT_URL", endpoint)
    clear_caches()
    try:
        yield Emulator(endpoint, port)
    finally:
        patch.undo()
        clear_caches()
        _built_for.clear()
        server.stop()


@pytest.fixture
def aws_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The emulator's environment for one test. Cached clients are kept when they were built for
    this emulator (building them takes a while); a test that points them elsewhere clears them."""
    for key, value in DUMMY_AWS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.endpoint)
    if _built_for.get("endpoint") != emulator.endpoint:
        clear_caches()
        _built_for["endpoint"] = emulator.endpoint
    get_settings.cache_clear()
    yield emulator
    get_settings.cache_clear()


_built_for: dict[str, str] = {}


@pytest.fixture
def provisioned(aws_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Every resource of the pipeline under a prefix of its own, and its settings in the environment."""
    from covid_etl.resources import Resources, provision

    env = provision(Resources(prefix=f"t{uuid.uuid4().hex[:10]}"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return env
