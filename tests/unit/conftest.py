"""Unit tests open no sockets: any attempt fails the test loudly."""

from __future__ import annotations

import socket

import pytest


class _NoSocket(socket.socket):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests must not open sockets; use a fake, or move the test to tests/integration")


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _NoSocket)
    monkeypatch.setattr(socket, "create_connection", _NoSocket)
    for key in ("AWS_ENDPOINT_URL",):
        monkeypatch.delenv(key, raising=False)
