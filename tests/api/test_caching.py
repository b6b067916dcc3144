"""Caching by data version: ETag/304, gzip, Cache-Control, and at most one version check a second."""

from __future__ import annotations

import gzip
import threading

from flask.testing import FlaskClient

from services.api.app import create_app
from services.api.store import StoredRow
from services.api.warm import warm
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


def regions_store(count: int) -> FakeStore:
    world = FakeStore(version=None)
    world.commit({f"R{i}": series(30) for i in range(count)}, "run-1", "2026-11-28T17:55:40.000+00:00",
                 {f"R{i}": 1000 * (i + 1) for i in range(count)})
    return world


def test_each_regions_series_is_read_once_per_version() -> None:
    world = regions_store(3)
    client = create_app(world, check_every_s=0).test_client()
    for _ in range(3):
        for query in ("region=R0", "region=R1", "region=R1&from=2020-03-10", "region=R2&format=csv"):
            assert client.get(f"/api/v1/daily?{query}").status_code == 200
    client.get("/api/v1/compare?regions=R0,R1,R2")
    assert world.calls["daily"] == 3 and world.calls["catalogue"] == 1
    world.commit({"R1": series(31)}, "run-2", "2026-11-29T17:55:40.000+00:00")
    assert len(client.get("/api/v1/daily?region=R1").get_json()["data"]) == 31
    assert world.calls["daily"] == 4 and world.calls["catalogue"] == 2


class SlowStore(FakeStore):
    """A store whose series reads wait until released, to make concurrent misses overlap."""

    def __init__(self) -> None:
        super().__init__(series(30))
        self.release = threading.Event()

    def daily(self, region: str = "US") -> list[StoredRow]:
        self.release.wait(5)
        return super().daily(region)


def test_concurrent_misses_of_one_region_share_one_read() -> None:
    slow = SlowStore()
    app = create_app(slow, check_every_s=60)
    results: list[int] = []

    def ask() -> None:
        results.append(app.test_client().get("/api/v1/daily?from=2020-03-02").status_code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    slow.release.set()
    for t in threads:
        t.join(10)
    assert results == [200] * 8 and slow.calls["daily"] == 1


def test_rendered_bytes_and_derived_series_are_bounded() -> None:
    world = regions_store(12)
    app = create_app(world, check_every_s=0)
    cache = app.extensions["covid_etl.cache"]
    cache.max_bytes, cache.max_regions = 20_000, 4
    client = app.test_client()
    sizes = []
    for i in range(12):
        sizes.append(len(client.get(f"/api/v1/daily?region=R{i}").data))
        assert cache._bytes <= cache.max_bytes and len(cache.snapshot()._series) <= 4
    assert sum(sizes) > cache.max_bytes  # something had to go
    again = client.get("/api/v1/daily?region=R0")  # evicted, read again, the same body
    assert again.status_code == 200 and len(again.data) == sizes[0]


def test_warming_renders_every_regions_series_so_requests_read_nothing() -> None:
    world = regions_store(5)
    app = create_app(world, check_every_s=60)
    assert warm(app.extensions["covid_etl.cache"]) == 6  # five regions and the US (the default)
    reads = world.calls["daily"]
    client = app.test_client()
    for i in range(5):
        assert len(client.get(f"/api/v1/daily?region=R{i}").get_json()["data"]) == 30
    assert world.calls["daily"] == reads == 6


def test_a_warming_app_warms_in_the_background_after_a_new_version() -> None:
    world = regions_store(3)
    client = create_app(world, check_every_s=0, warm=True).test_client()
    client.get("/api/v1/regions")  # the first version seen starts the warm-up
    for _ in range(1000):  # at most 10 s on a busy machine
        if world.calls.get("daily", 0) >= 4:
            break
        threading.Event().wait(0.01)
    assert world.calls["daily"] == 4
