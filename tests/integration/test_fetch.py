"""The extractor's download against a local HTTP server: conditional GET, errors, retries, size cap."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.sources import SourceServer

from services.extractor.fetch import fetch
from shared.errors import InputError

CSV = b"date,cases,deaths\n2020-03-01,10,1\n"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SourceServer]:
    with SourceServer(tmp_path / "served") as s:
        s.put({"nyt.csv": CSV})
        yield s


def test_200_gives_the_bytes_and_the_version(server: SourceServer) -> None:
    got = fetch(server.url("nyt.csv"))
    assert got.data == CSV
    assert got.last_modified and got.last_modified.endswith("GMT")


def test_304_when_not_modified_since(server: SourceServer) -> None:
    first = fetch(server.url("nyt.csv"))
    again = fetch(server.url("nyt.csv"), last_modified=first.last_modified)
    assert again.data is None and again.last_modified == first.last_modified
    assert server.requests[-1][1].get("If-Modified-Since") == first.last_modified


def test_a_newer_file_is_downloaded_again(server: SourceServer) -> None:
    first = fetch(server.url("nyt.csv"))
    server.put({"nyt.csv": CSV + b"2020-03-02,20,2\n"})
    again = fetch(server.url("nyt.csv"), last_modified=first.last_modified)
    assert again.data == CSV + b"2020-03-02,20,2\n"
    assert again.last_modified != first.last_modified


def test_404_is_an_input_error_without_retries(server: SourceServer) -> None:
    with pytest.raises(InputError, match="HTTP 404.*check the source URL"):
        fetch(server.url("missing.csv"), attempts=4)
    assert server.hits["/missing.csv"] == 1


def test_500_is_retried_with_backoff_then_an_input_error(server: SourceServer) -> None:
    server.fail("/nyt.csv", 500)
    waited: list[float] = []
    with pytest.raises(InputError, match="HTTP 500.*gave up after 3 attempts"):
        fetch(server.url("nyt.csv"), attempts=3, sleep=waited.append)
    assert server.hits["/nyt.csv"] == 3
    assert len(waited) == 2 and all(0 <= w <= 10 for w in waited)  # between attempts, capped


def test_a_failure_that_clears_up_is_retried_to_success(server: SourceServer) -> None:
    server.fail("/nyt.csv", 503)

    def recover(seconds: float) -> None:  # the backoff's wait, during which the source recovers
        server.fail("/nyt.csv", None)

    assert fetch(server.url("nyt.csv"), attempts=6, sleep=recover).data == CSV
    assert server.hits["/nyt.csv"] == 2


def test_429_is_retried(server: SourceServer) -> None:
    server.fail("/nyt.csv", 429)
    with pytest.raises(InputError, match="HTTP 429"):
        fetch(server.url("nyt.csv"), attempts=2, sleep=lambda s: None)
    assert server.hits["/nyt.csv"] == 2


def test_size_cap(server: SourceServer) -> None:
    server.write("big.csv", b"x" * 200_000)
    with pytest.raises(InputError, match="larger than the size cap of 100000 bytes"):
        fetch(server.url("big.csv"), max_bytes=100_000)
    assert len(fetch(server.url("big.csv"), max_bytes=200_000).data or b"") == 200_000


def test_connection_refused_is_retried_then_an_input_error() -> None:
    with SourceServer() as gone:
        url = gone.url("nyt.csv")
    with pytest.raises(InputError, match="cannot connect.*gave up after 2 attempts"):
        fetch(url, attempts=2)


def test_unsupported_scheme() -> None:
    with pytest.raises(InputError, match="unsupported URL scheme 'ftp'"):
        fetch("ftp://example.org/us.csv")


def test_file_path_and_file_url(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_bytes(CSV)
    got = fetch(str(path))
    assert got.data == CSV and got.last_modified
    assert fetch(path.as_uri()).data == CSV
    assert fetch(str(path), last_modified=got.last_modified).data is None  # unchanged since
    with pytest.raises(InputError, match="no such file"):
        fetch(str(tmp_path / "missing.csv"))
    with pytest.raises(InputError, match="cannot read it"):
        fetch(str(tmp_path))  # a folder: retrying cannot help
