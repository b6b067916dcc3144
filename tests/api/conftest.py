"""Fixtures of the API tier: the app over an in-memory store, and Flask's test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.api.app import create_app
from tests.api.fakes import FakeStore, series


class Clock:
    """A monotonic clock the tests move by hand (the version check runs at most once a second)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> FakeStore:
    return FakeStore(series(30, recovered_until=20))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(store: FakeStore, clock: Clock, tmp_path: Path) -> Flask:
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>dash</title>")
    (web / "config.js").write_text('window.COVID_ETL_API = "";\n')
    app = create_app(store, web_dir=web)
    app.extensions["covid_etl.cache"].clock = clock
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
