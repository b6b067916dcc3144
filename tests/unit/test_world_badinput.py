"""Bad input in the new data (issue 18, item 8), through the transformer's handler on fakes: what fails the
run with a reason, and what loads with a warning, and why.

A run that fails in the transformer writes no dataset: the loader is never asked, so the table stays as
the last good run left it (the loader's own bad cases, a region renamed, are the loader's tests).
"""

from __future__ import annotations

import json

import pytest
from support import fixtures
from support.fakes import FakeLedger

from services.transformer import handler
from services.transformer.lookup import BUNDLED_COMMIT
from services.transformer.world import Dataset
from shared.blobs import MemoryBlobStore, sha256_hex
from shared.errors import InputError
from shared.messages import DatasetTransformedV1, SourcesExtractedV1, SourceVersion
from shared.queues import MemoryPublisher
from tests.unit.test_world import LOOKUP, NYT, jhu_csv

LOOKUP_BYTES = LOOKUP.replace("\n", "\r\n").encode()


def extracted(blobs: MemoryBlobStore, **sources: bytes) -> SourcesExtractedV1:
    versions = []
    for name, data in sources.items():
        digest = sha256_hex(data)
        key = f"raw/{name}/{digest}.csv"
        blobs.put(key, data)
        versions.append(SourceVersion(name=name, url=f"file:{name}.csv", key=key, sha256=digest, bytes=len(data),
                                      changed=True))
    return SourcesExtractedV1(sources=versions)


def transformed(blobs: MemoryBlobStore, **sources: bytes) -> DatasetTransformedV1:
    deps = handler.Deps(ledger=FakeLedger(), publisher=MemoryPublisher(), blobs=blobs)
    payload = handler.transform_sources(extracted(blobs, **sources), deps).payload
    assert isinstance(payload, DatasetTransformedV1)
    return payload


def run(jhu: str | None = None, lookup: bytes | None = LOOKUP_BYTES) -> tuple[Dataset, list[str], MemoryBlobStore]:
    """The transformer on (NYT, JHU[, lookup]); the dataset it wrote, its warnings, the store."""
    blobs = MemoryBlobStore()
    sources = {"nyt": NYT.encode(), "jhu": (jhu or jhu_csv()).encode()}
    if lookup is not None:
        sources["lookup"] = lookup
    payload = transformed(blobs, **sources)
    return json.loads(blobs.get(payload.key)), payload.warnings, blobs


def datasets(blobs: MemoryBlobStore) -> list[str]:
    return [k for k in blobs.objects if k.startswith("datasets/") or not k.startswith("raw/")]


def failed(jhu: str) -> tuple[str, MemoryBlobStore]:
    blobs = MemoryBlobStore()
    deps = handler.Deps(ledger=FakeLedger(), publisher=MemoryPublisher(), blobs=blobs)
    message = extracted(blobs, nyt=NYT.encode(), jhu=jhu.encode(), lookup=LOOKUP_BYTES)
    with pytest.raises(InputError) as caught:
        handler.transform_sources(message, deps)
    return caught.value.reason, blobs


def test_a_province_twice_for_one_date_fails_the_run_naming_the_rows() -> None:
    """Two rows of Canada/Ontario on 2020-03-02: which one is right cannot be known, and summing both into
    Canada's total would double it, so the run fails (InputError: not retried) and writes no dataset;
    the table keeps its last good state."""
    jhu = jhu_csv() + "2020-03-02,Canada,Ontario,7,2,0\n"
    reason, blobs = failed(jhu)
    assert "jhu: 1 region(s) have more than one row for a date: Canada/Ontario on 2020-03-02 (rows 17, 35)" \
        in reason
    assert "raw file kept at s3 key raw/jhu/" in reason and not datasets(blobs)


def test_a_country_twice_for_one_date_fails_the_run_naming_the_rows() -> None:
    """The same for a country's only row (Afghanistan): one date, two values."""
    reason, blobs = failed(jhu_csv() + "2020-03-03,Afghanistan,,3,0,1\n")
    assert "Afghanistan on 2020-03-03 (rows 24, 35)" in reason and not datasets(blobs)


def test_a_province_row_with_a_negative_count_fails_the_run() -> None:
    """A cumulative count below zero is not a correction but a broken row: the run fails, no dataset is
    written, the table keeps its last good state; the reason names the row and its region."""
    jhu = jhu_csv().replace("2020-03-02,China,Hubei,110,20,6", "2020-03-02,China,Hubei,110,20,-6")
    reason, blobs = failed(jhu)
    assert "jhu: 1 value(s) of 'Deaths' are not integers >= 0 (row 20 (China/Hubei): '-6')" in reason
    assert not datasets(blobs)


def test_a_lookup_missing_a_column_loads_with_the_bundled_copy_and_a_warning() -> None:
    """The lookup gives ids and populations, not values: a run whose table lacks `Population` still loads
    every region, with the bundled table's ids and populations, and says so."""
    lines = LOOKUP.splitlines()
    no_population = "\r\n".join(line.rsplit(",", 1)[0] for line in lines) + "\r\n"
    dataset, warnings, _ = run(lookup=no_population.encode())
    [warning] = [w for w in warnings if "bundled" in w]
    assert warning.startswith("lookup not used, the run goes on without it: lookup: missing column(s) Population")
    assert f"commit {BUNDLED_COMMIT}) was used instead" in warning
    fr = next(r for r in dataset["regions"] if r["id"] == "FR")
    assert fr["population"] == 65273512 + 895308 + 272813  # the bundled table's, the run's has none
    assert {r["id"] for r in dataset["regions"]} >= {"FR", "FR-mainland", "RE", "CA-ontario", "HK", "US", "US-JHU"}


def test_without_a_lookup_the_bundled_copy_gives_the_same_ids() -> None:
    """A run whose lookup was not downloaded: the bundled copy, a warning, and the ids a run with the
    table gets (the ids must not depend on one download)."""
    with_table, _, _ = run()
    without, warnings, _ = run(lookup=None)
    assert any("no lookup table" in w and f"commit {BUNDLED_COMMIT}" in w for w in warnings)
    assert {r["id"] for r in without["regions"]} == {r["id"] for r in with_table["regions"]}


def test_a_lookup_missing_a_region_loads_it_with_a_warning_and_no_population() -> None:
    """Reunion's row removed from the table: its values are still good, so it loads (with a country-slug
    id, as docs/regions.md says), without a population, named in one warning."""
    lookup = "\r\n".join(line for line in LOOKUP.splitlines() if "Reunion" not in line) + "\r\n"
    dataset, warnings, _ = run(lookup=lookup.encode())
    reunion = next(r for r in dataset["regions"] if r["name"] == "Reunion")
    assert (reunion["id"], reunion["population"], reunion["sources"]) == ("FR-reunion", None, ["jhu"])
    assert [row["cases"] for row in dataset["series"]["FR-reunion"]] == [1, 2, 4]
    [warning] = [w for w in warnings if "does not know" in w]
    assert "France/Reunion" in warning and "no population" in warning


def test_the_dataset_is_format_2_and_the_message_counts_every_region() -> None:
    blobs = MemoryBlobStore()
    payload = transformed(blobs, nyt=NYT.encode(), jhu=jhu_csv().encode(), lookup=LOOKUP_BYTES)
    dataset = json.loads(blobs.get(payload.key))
    assert dataset["format"] == 2 and set(dataset) == {"format", "regions", "series"}
    assert payload.rows == sum(len(rows) for rows in dataset["series"].values()) == 15 * 3
    assert (str(payload.first_date), str(payload.last_date)) == ("2020-03-01", "2020-03-03")
    assert sha256_hex(blobs.get(payload.key)) == payload.sha256


def test_the_small_fixture_pair_still_transforms() -> None:
    """The e2e fixtures (US, US states, Canada's provinces, Germany) make a format-2 dataset."""
    nyt, jhu = fixtures.old_pair()
    blobs = MemoryBlobStore()
    payload = transformed(blobs, nyt=nyt.encode(), jhu=jhu.encode())
    dataset = json.loads(blobs.get(payload.key))
    assert sorted(dataset["series"]) == ["CA", "CA-ontario", "CA-quebec", "DE", "US", "US-JHU", "US-washington"]
