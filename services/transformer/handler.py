"""Transformer: parse and validate both sources, join them, store the records in S3."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from services.transformer.parse import parse_jhu, parse_nyt
from services.transformer.transform import JoinPolicy, to_records, transform
from shared.blobs import BlobStore, sha256_hex
from shared.errors import InputError
from shared.ledger import Ledger
from shared.messages import DatasetTransformedV1, Message, SourcesExtractedV1, SourceVersion
from shared.queues import Publisher
from shared.stage import Outcome, run_stage


@dataclass
class Deps:
    blobs: BlobStore
    ledger: Ledger
    publisher: Publisher
    join: JoinPolicy = "inner"


def handle(message: Message, deps: Deps) -> None:
    extracted = message.payload
    assert isinstance(extracted, SourcesExtractedV1)
    run_stage("transform", message, deps.ledger, deps.publisher, lambda: transform_sources(extracted, deps))


def transform_sources(extracted: SourcesExtractedV1, deps: Deps) -> Outcome:
    by_name: dict[str, SourceVersion] = {s.name: s for s in extracted.sources}
    raw_keys = [s.key for s in extracted.sources]
    frames = {}
    for name, parse in (("nyt", parse_nyt), ("jhu", parse_jhu)):
        source = by_name[name]
        data = deps.blobs.get(source.key)
        if sha256_hex(data) != source.sha256:
            raise RuntimeError(f"{source.key}: sha256 does not match the message")  # retried
        try:
            frames[name] = parse(data)
        except InputError as error:
            raise InputError(f"{error.reason} (raw file kept at s3 key {source.key})", raw_keys) from error
    joined, warnings = transform(frames["nyt"], frames["jhu"], deps.join)
    records = to_records(joined)
    body = json.dumps({"records": records}, separators=(",", ":")).encode()
    digest = sha256_hex(body)
    key = f"datasets/{digest}.json"
    deps.blobs.put(key, body, "application/json")
    # model_copy does not validate: give it a date, not the frame's ISO string
    sources = [s.model_copy(update={"last_date": date.fromisoformat(frames[s.name]["date"].max())})
               for s in extracted.sources]
    dates = [str(r["date"]) for r in records]
    out = DatasetTransformedV1(
        key=key, sha256=digest, rows=len(records), first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None, join_policy=deps.join, sources=sources, warnings=warnings)
    return Outcome("loader", out, {"rows": len(records), "warnings": warnings})
