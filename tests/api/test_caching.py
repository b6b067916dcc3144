"""Caching by data version: ETag/304, gzip, Cache-Control, and at most one version check a second."""

from __future__ import annotations

import gzip

from flask.testing import FlaskClient

from tests.api.conftest import Clock
from tests.api.fakes import FakeStore, series


def test_strong_etag_from_the_data_version_and_304(client: FlaskClient) -> None:
    first = client.get("/api/v1/daily")
    etag = first.headers["ETag"]
    assert etag.startswith('"run-1.') and not etag.startswith("W/")
    assert "max-age" in first.headers["Cache-Control"] and first.headers["Vary"] == "Accept-Encoding"
    again = client.get("/api/v1/daily", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other = client.get("/api/v1/daily?from=2020-03-02")
    assert other.headers["ETag"] != etag
    assert client.get("/api/v1/daily", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_gzip_when_accepted_with_identical_content(client: FlaskClient) -> None:
    plain = client.get("/api/v1/daily")
    zipped = client.get("/api/v1/daily", headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data)
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # a different representation
    assert "Content-Encoding" not in client.get("/api/v1/daily", headers={"Accept-Encoding": "gzip;q=0"}).headers


def test_reads_the_series_once_per_version_and_the_version_at_most_once_a_second(
        client: FlaskClient, store: FakeStore, clock: Clock) -> None:
    for _ in range(5):
        client.get("/api/v1/daily")
        client.get("/api/v1/summary")
    assert store.calls["daily"] == 1 and store.calls["dataset_version"] == 2  # check + snapshot
    clock.now += 1.5
    client.get("/api/v1/daily")
    assert store.calls["daily"] == 1 and store.calls["dataset_version"] == 3


def test_a_new_load_changes_etag_and_body_after_the_next_check(
        client: FlaskClient, store: FakeStore, clock: Clock) -> None:
    before = client.get("/api/v1/daily")
    store.load(series(31), "run-2")
    assert client.get("/api/v1/daily").headers["ETag"] == before.headers["ETag"]  # within the second
    clock.now += 1.0
    after = client.get("/api/v1/daily", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"].startswith('"run-2.')
    assert len(after.get_json()["data"]) == 31


def test_the_cache_is_bounded(app, client: FlaskClient) -> None:  # type: ignore[no-untyped-def]
    cache = app.extensions["covid_etl.cache"]
    cache.max_entries = 4
    for day in range(1, 10):
        client.get(f"/api/v1/daily?from=2020-03-{day:02d}")
    assert len(cache._entries) == 4
