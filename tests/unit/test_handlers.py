"""The four handlers on fakes (MemoryBlobStore, MemoryPublisher, FakeLedger): the whole run in memory."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from support import fixtures
from support.fakes import FakeAnnouncer, FakeLedger, FakeSeries
from support.reference import load_counts, reference

from services.extractor import handler as extractor
from services.loader import handler as loader
from services.notifier import handler as notifier
from services.transformer import handler as transformer
from shared.blobs import MemoryBlobStore, sha256_hex
from shared.clock import FakeClock, now_iso
from shared.errors import InputError
from shared.lock import Fence
from shared.messages import (
    DatasetLoadedV1,
    DatasetTransformedV1,
    ExtractRequestedV1,
    SourceName,
    SourcesExtractedV1,
    SourcesUnchangedV1,
    make_message,
)
from shared.queues import MemoryPublisher
from shared.runs import RunEnd
from shared.stage import Outcome, run_stage
from shared.topology import EXTRACTOR

# a field holding the wrong type (a str where the schema says date) shows up as a serializer warning
pytestmark = pytest.mark.filterwarnings("error::UserWarning")


class Pipeline:
    """The four handlers wired through one MemoryPublisher, sources read from local files."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.blobs, self.ledger = folder, MemoryBlobStore(), FakeLedger()
        self.publisher, self.series, self.announcer = MemoryPublisher(), FakeSeries(self.ledger), FakeAnnouncer()
        self.clock = FakeClock(datetime(2020, 4, 7, 12, tzinfo=UTC).timestamp())
        self.urls: dict[SourceName, str] = {"nyt": str(folder / "nyt.csv"), "jhu": str(folder / "jhu.csv")}
        self.handlers = {
            "extractor": lambda m: extractor.handle(m, self.extractor()),
            "transformer": lambda m: transformer.handle(m, self.transformer()),
            "loader": lambda m: loader.handle(m, loader.Deps(**self.common(), blobs=self.blobs, series=self.series)),
            "notifier": lambda m: notifier.handle(m, notifier.Deps(**self.common(), announcer=self.announcer)),
        }

    def common(self) -> dict[str, Any]:
        return {"ledger": self.ledger, "publisher": self.publisher, "clock": self.clock}

    def extractor(self) -> extractor.Deps:
        return extractor.Deps(**self.common(), blobs=self.blobs, urls=self.urls)

    def transformer(self) -> transformer.Deps:
        return transformer.Deps(**self.common(), blobs=self.blobs)

    def put(self, pair: tuple[str, str], mtime: int) -> None:
        for name, text in zip(("nyt.csv", "jhu.csv"), pair, strict=True):
            (self.folder / name).write_text(text)
            os.utime(self.folder / name, (mtime, mtime))

    def run(self, run_id: str, force: bool = False) -> list[str]:
        """Deliver messages queue by queue until the run ends; returns the kinds in order."""
        self.publisher.sent.append(("extractor", make_message(ExtractRequestedV1(force=force), run_id=run_id,
                                                              producer="test")))
        kinds: list[str] = []
        while self.publisher.sent:
            queue, message = self.publisher.sent.pop(0)
            kinds.append(message.payload.kind)
            self.handlers[queue](message)
        return kinds

    def table(self) -> list[tuple[str, int, int, int | None]]:
        return [(d, r["cases"], r["deaths"], r.get("recovered")) for d, r in sorted(self.series.rows.items())]


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    return Pipeline(tmp_path)


def test_first_load_then_update_then_no_change(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    assert pipeline.run("r1") == ["extract.requested.v1", "sources.extracted.v1", "dataset.transformed.v1",
                                  "dataset.loaded.v1"]
    first = reference(fixtures.old_pair())
    assert pipeline.table() == first
    assert pipeline.ledger.runs["r1"]["status"] == "succeeded"

    pipeline.put(fixtures.new_pair(), 1_600_000_100)
    pipeline.run("r2")
    run = pipeline.ledger.runs["r2"]
    want = load_counts(first, reference(fixtures.new_pair()))
    assert {k: run[k] for k in want} == want
    assert any("nyt cases went down" in w for w in run["warnings"])
    warned = len(run["warnings"])
    every = run.get("all") or {}
    told, where = (every, f" in {every['regions']} regions") if every.get("regions", 1) > 1 else (want, "")
    assert [s for s, _ in pipeline.announcer.announced][-1] == (  # every region's counts, when it loaded several
        f"covid-etl: run succeeded, {told['inserted']} inserted, {told['updated']} updated{where} "
        f"({warned} warning{'s' if warned > 1 else ''})")

    assert pipeline.run("r3") == ["extract.requested.v1", "sources.unchanged.v1"]
    assert pipeline.ledger.runs["r3"]["status"] == "no_change"
    assert pipeline.ledger.runs["r3"]["rows_total"] == want["rows_total"]
    assert pipeline.series.written == [len(first), want["inserted"] + want["updated"]]


def test_raw_sources_are_stored_once_by_content(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.run("r1")
    pipeline.put(fixtures.old_pair(), 1_600_000_500)  # touched, same bytes
    assert pipeline.run("r2") == ["extract.requested.v1", "sources.unchanged.v1"]
    assert len([k for k in pipeline.blobs.objects if k.startswith("raw/")]) == 2


def test_force_processes_unchanged_sources(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.run("r1")
    assert "dataset.loaded.v1" in pipeline.run("r2", force=True)
    assert pipeline.ledger.runs["r2"]["inserted"] == 0 and pipeline.ledger.runs["r2"]["updated"] == 0


def test_missing_source_fails_the_run_in_extract(pipeline: Pipeline) -> None:
    assert pipeline.run("r1")[-1] == "stage.failed.v1"
    run = pipeline.ledger.runs["r1"]
    assert run["status"] == "failed" and run["stages"]["extract"]["status"] == "failed"
    assert "no such file" in run["error"]


def test_bad_csv_fails_in_transform_and_keeps_the_table(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.run("r1")
    before = pipeline.table()
    pipeline.put((fixtures.html_page(), fixtures.new_pair()[1]), 1_600_000_100)
    assert pipeline.run("r2")[-1] == "stage.failed.v1"
    subject, body = pipeline.announcer.announced[-1]
    assert subject == "covid-etl: run FAILED in transform" and "HTML page" in body["error"]
    assert body["raw_keys"] and all(pipeline.blobs.exists(k) for k in body["raw_keys"])
    assert pipeline.table() == before and body["rows_total"] == len(before)


def test_a_corrupted_blob_is_retried_not_failed(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    extractor.handle(make_message(ExtractRequestedV1(), run_id="r1", producer="t"),
                     pipeline.extractor())
    [(_, extracted)] = pipeline.publisher.sent
    assert isinstance(extracted.payload, SourcesExtractedV1)
    pipeline.blobs.objects[extracted.payload.sources[0].key] = b"tampered"
    with pytest.raises(RuntimeError, match="sha256 does not match"):
        pipeline.handlers["transformer"](extracted)
    assert pipeline.ledger.runs["r1"]["stages"]["transform"]["status"] == "retrying"
    assert not any(k.startswith("transform#") for k in pipeline.ledger.fake_claims.items)  # released for the retry


def test_a_duplicate_delivery_writes_nothing_and_resends_the_same_next_message(pipeline: Pipeline) -> None:
    records = [{"date": "2020-03-01", "cases": 1, "deaths": 0, "recovered": None}]
    body = json.dumps({"records": records}).encode()
    pipeline.blobs.put("datasets/x.json", body)
    message = make_message(DatasetTransformedV1(key="datasets/x.json", sha256=sha256_hex(body), rows=1,
                                                first_date=date(2020, 3, 1), last_date=date(2020, 3, 1),
                                                join_policy="inner", sources=[]), run_id="r1", producer="t")
    pipeline.handlers["loader"](message)
    pipeline.handlers["loader"](message)
    assert pipeline.series.written == [1]
    [(q1, m1), (q2, m2)] = pipeline.publisher.sent
    assert q1 == q2 == "notifier" and m1 == m2 and isinstance(m1.payload, DatasetLoadedV1)
    [lock] = pipeline.ledger.locks  # taken once, by an owner of this run
    assert lock.startswith("load:r1/")


def _unchanged() -> Outcome:
    return Outcome(SourcesUnchangedV1(sources=[]))


def _bad_input() -> Outcome:
    raise InputError("x")


@pytest.mark.parametrize("work", [_unchanged, _bad_input])
def test_the_stage_closes_the_run_before_the_notifier_only_announces_it(pipeline: Pipeline,
                                                                       work: Callable[[], Outcome]) -> None:
    pipeline.ledger.dataset = {"rows_total": 7, "first_date": "2020-03-01", "last_date": "2020-03-07"}
    message = make_message(ExtractRequestedV1(), run_id="r", producer="t")
    run_stage(EXTRACTOR, message, pipeline.extractor(), work)
    closed = pipeline.ledger.runs["r"]  # the run has ended while the notifier has not run (it may be down)
    assert closed["status"] in ("no_change", "failed") and pipeline.announcer.announced == []
    assert (closed["rows_total"], closed["unchanged"], closed["last_date"]) == (7, 7, "2020-03-07")
    [(queue, end)] = pipeline.publisher.sent
    pipeline.publisher.sent.clear()
    pipeline.handlers[queue](end)
    [(_, body)] = pipeline.announcer.announced
    assert (body["status"], body["rows_total"], body["last_date"]) == (closed["status"], 7, "2020-03-07")
    assert pipeline.ledger.runs["r"] == {**closed, "stages": pipeline.ledger.runs["r"]["stages"]}
    assert pipeline.publisher.sent == []  # the notifier sends nothing
    assert pipeline.ledger.items["r"].stages["notify"].status == "succeeded"  # its one record, written last


def test_an_older_run_never_overwrites_a_later_runs_load(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.new_pair(), 1_600_000_100)
    pipeline.run("20200402T000000Z-later")
    newer = pipeline.table()
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.run("20200401T000000Z-older", force=True)  # started earlier, loads after: superseded
    assert pipeline.table() == newer
    run = pipeline.ledger.runs["20200401T000000Z-older"]
    assert (run["status"], run["inserted"], run["updated"], run["rows_total"]) == ("no_change", 0, 0, len(newer))
    assert run["stages"]["load"]["superseded_by"] == "20200402T000000Z-later"
    assert any(w.startswith("superseded: run 20200402T000000Z-later") for w in run["warnings"])


def test_a_run_that_succeeds_after_a_failure_loses_its_error(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.ledger.close("r1", RunEnd(status="failed", error="load gave up after 3 attempts", stage="load",
                                       finished_at=now_iso()))
    pipeline.run("r1")
    run = pipeline.ledger.runs["r1"]
    assert run["status"] == "succeeded" and "error" not in run and "stage" not in run


def test_an_unchanged_source_is_not_read_or_parsed_again(pipeline: Pipeline) -> None:
    """The transformer keeps each source's parsed frame by its raw sha256 (a warm worker's cache)."""
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    extractor.handle(make_message(ExtractRequestedV1(), run_id="r1", producer="t"),
                     pipeline.extractor())
    [(_, extracted)] = pipeline.publisher.sent
    assert isinstance(extracted.payload, SourcesExtractedV1)
    deps = pipeline.transformer()
    first = transformer.transform_sources(extracted.payload, deps)
    jhu = next(s for s in extracted.payload.sources if s.name == "jhu")
    pipeline.blobs.objects[jhu.key] = b"would fail the sha256 check if it were read"
    again = transformer.transform_sources(extracted.payload, deps)
    assert again.payload == first.payload
    fresh = pipeline.transformer()  # a cold worker reads it
    with pytest.raises(RuntimeError, match="sha256 does not match"):
        transformer.transform_sources(extracted.payload, fresh)


def test_a_warm_extractor_does_not_ask_again_for_raw_files_it_has_seen(pipeline: Pipeline) -> None:
    class Counting(MemoryBlobStore):
        def __init__(self) -> None:
            super().__init__()
            self.asked: list[str] = []

        def exists(self, key: str) -> bool:
            self.asked.append(key)
            return super().exists(key)

    blobs = Counting()
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    deps = extractor.Deps(**pipeline.common(), blobs=blobs, urls=pipeline.urls)
    pipeline.ledger.sources = {}
    first = extractor.extract(ExtractRequestedV1(), deps).payload
    assert blobs.asked == [] and deps.stored == set(blobs.objects)  # new bytes are stored without asking
    extractor.extract(ExtractRequestedV1(force=True), deps)
    assert blobs.asked == []  # the same bytes again: already known to be stored
    assert isinstance(first, SourcesExtractedV1)
    pipeline.ledger.sources = {s.name: s.model_dump(mode="json") for s in first.sources}  # as if loaded
    cold = extractor.Deps(**pipeline.common(), blobs=blobs, urls=pipeline.urls)
    extractor.extract(ExtractRequestedV1(force=True), cold)
    assert sorted(blobs.asked) == sorted(s.key for s in first.sources)  # a cold worker asks about each once
    put = len(blobs.objects)
    extractor.extract(ExtractRequestedV1(force=True), cold)
    assert len(blobs.asked) == 2 and len(blobs.objects) == put


def transformed(pipeline: Pipeline, run_id: str) -> DatasetTransformedV1:
    """Run extract and transform; the message the loader would get."""
    pipeline.publisher.sent.append(("extractor", make_message(ExtractRequestedV1(), run_id=run_id, producer="t")))
    while True:
        queue, message = pipeline.publisher.sent.pop(0)
        if queue == "loader":
            assert isinstance(message.payload, DatasetTransformedV1)
            return message.payload
        pipeline.handlers[queue](message)


def test_a_load_redelivered_after_its_commit_reports_the_counts_it_committed(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.run("r1")
    pipeline.put(fixtures.new_pair(), 1_600_000_100)
    payload, deps = transformed(pipeline, "r2"), loader.Deps(**pipeline.common(), blobs=pipeline.blobs,
                                                             series=pipeline.series)
    body = pipeline.blobs.get(payload.key)
    first = loader.load(payload, body, "r2", Fence("load", 1), deps)  # committed, then the worker died
    again = loader.load(payload, body, "r2", Fence("load", 2), deps)  # before its claim said so: redelivered
    want = load_counts(reference(fixtures.old_pair()), reference(fixtures.new_pair()))
    assert {k: again.found[k] for k in want} == {k: first.found[k] for k in want} == want
    assert again.payload == first.payload
    assert len(pipeline.series.written) == 2  # r1's rows, r2's: the redelivery wrote nothing


@pytest.mark.parametrize("dies_after", [1, 2])
def test_a_load_killed_between_its_transactions_counts_like_one_clean_load(pipeline: Pipeline,
                                                                          dies_after: int) -> None:
    """Nothing is kept between the tries: the retry finds its own rows by their run, and counts them by
    the run that first wrote them (inserted) or not (updated)."""
    pipeline.series.per_transaction = 3  # DynamoDB Local 1.x allows 10; these fixtures change fewer rows
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.run("r1")
    pipeline.put(fixtures.new_pair(), 1_600_000_100)
    payload, deps = transformed(pipeline, "r2"), loader.Deps(**pipeline.common(), blobs=pipeline.blobs,
                                                             series=pipeline.series)
    pipeline.series.dies_after = dies_after
    with pytest.raises(RuntimeError, match="killed"):
        loader.load(payload, pipeline.blobs.get(payload.key), "r2", Fence("load", 1), deps)
    assert pipeline.series.loading() is not None  # its marker is in (its first transaction), maybe some rows
    assert pipeline.ledger.dataset and pipeline.ledger.dataset["version"] == "r1"  # none committed
    again = loader.load(payload, pipeline.blobs.get(payload.key), "r2", Fence("load", 2), deps)
    want = load_counts(reference(fixtures.old_pair()), reference(fixtures.new_pair()))
    assert {k: again.found[k] for k in want} == want
    assert pipeline.table() == reference(fixtures.new_pair()) and pipeline.ledger.dataset["version"] == "r2"


def test_a_failed_send_is_made_by_the_redelivery_without_working_again(pipeline: Pipeline) -> None:
    class Flaky(MemoryPublisher):
        def __init__(self) -> None:
            super().__init__()
            self.failures = 1

        def send(self, queue: str, message: Any) -> None:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("SQS is unreachable")
            super().send(queue, message)

    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    flaky, message = Flaky(), make_message(ExtractRequestedV1(), run_id="r1", producer="t")
    deps = extractor.Deps(ledger=pipeline.ledger, publisher=flaky, clock=pipeline.clock, blobs=pipeline.blobs,
                          urls=pipeline.urls)
    with pytest.raises(ConnectionError):
        extractor.handle(message, deps)
    assert pipeline.ledger.runs["r1"]["stages"]["extract"]["status"] == "succeeded"  # recorded before the send
    (pipeline.folder / "nyt.csv").unlink()  # the work would now fail: the redelivery must not do it again
    extractor.handle(message, deps)  # the redelivery sends the message its claim recorded
    [(queue, sent)] = flaky.sent
    assert queue == "transformer" and isinstance(sent.payload, SourcesExtractedV1)
    assert pipeline.ledger.runs["r1"]["status"] == "running"


def test_a_no_change_run_reports_the_table_as_it_stands_with_the_sources(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    pipeline.run("r1")
    assert pipeline.run("r2") == ["extract.requested.v1", "sources.unchanged.v1"]
    run, rows = pipeline.ledger.runs["r2"], reference(fixtures.old_pair())
    assert (run["status"], run["rows_total"], run["unchanged"], run["inserted"]) == ("no_change", len(rows),
                                                                                   len(rows), 0)
    assert [s["name"] for s in run["sources"]] == ["nyt", "jhu"] and not any(s["changed"] for s in run["sources"])


def with_lookup(pipeline: Pipeline, text: str | None, mtime: int = 1_600_000_000) -> None:
    """Declare the lookup source at a local path; `text` None leaves the file missing."""
    path = pipeline.folder / "lookup.csv"
    pipeline.urls["lookup"] = str(path)
    if text is not None:
        path.write_text(text)
        os.utime(path, (mtime, mtime))


def test_the_lookup_is_stored_and_versioned_and_a_change_in_it_alone_makes_a_run(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    with_lookup(pipeline, fixtures.lookup_csv())
    assert pipeline.run("r1")[-1] == "dataset.loaded.v1"
    assert pipeline.table() == reference(fixtures.old_pair())  # it gives today's row nothing
    loaded = pipeline.ledger.source_versions()["lookup"]
    assert pipeline.blobs.exists(loaded["key"]) and loaded["key"].startswith("raw/lookup/")
    assert not [w for w in pipeline.ledger.runs["r1"]["warnings"] if "lookup" in w]
    assert pipeline.run("r2") == ["extract.requested.v1", "sources.unchanged.v1"]

    with_lookup(pipeline, fixtures.lookup_csv(fixtures.LOOKUP_ROWS[:-1]), 1_600_000_100)
    assert pipeline.run("r3")[-1] == "dataset.loaded.v1"
    run = pipeline.ledger.runs["r3"]
    assert (run["status"], run["inserted"], run["updated"]) == ("succeeded", 0, 0)
    assert [s["changed"] for s in run["sources"] if s["name"] == "lookup"] == [True]
    assert pipeline.ledger.source_versions()["lookup"]["sha256"] != loaded["sha256"]


def test_a_lookup_that_cannot_be_fetched_warns_and_the_run_goes_on(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    with_lookup(pipeline, None)
    assert pipeline.run("r1")[-1] == "dataset.loaded.v1"
    run = pipeline.ledger.runs["r1"]
    assert run["status"] == "succeeded" and pipeline.table() == reference(fixtures.old_pair())
    [warning] = [w for w in run["warnings"] if w.startswith("lookup")]
    assert "no such file" in warning and "COVID_ETL_LOOKUP_URL" in warning
    assert "lookup" not in pipeline.ledger.source_versions()
    assert "COVID_ETL_LOOKUP_URL" in pipeline.announcer.announced[-1][1]["warnings"][0]


def test_a_lookup_that_does_not_parse_warns_and_the_run_goes_on(pipeline: Pipeline) -> None:
    pipeline.put(fixtures.old_pair(), 1_600_000_000)
    with_lookup(pipeline, fixtures.html_page())
    assert pipeline.run("r1")[-1] == "dataset.loaded.v1"
    run = pipeline.ledger.runs["r1"]
    [warning] = [w for w in run["warnings"] if w.startswith("lookup")]
    assert "not used" in warning and "HTML page" in warning and "raw file kept" in warning
    assert pipeline.table() == reference(fixtures.old_pair())


def test_a_required_source_still_fails_the_run_when_the_lookup_is_fine(pipeline: Pipeline) -> None:
    with_lookup(pipeline, fixtures.lookup_csv())
    assert pipeline.run("r1")[-1] == "stage.failed.v1"
    assert "no such file" in pipeline.ledger.runs["r1"]["error"]
