"""The embedded stack's saved state (`covid_etl.local.state`) against the emulator over HTTP: the table's items
and the bucket's objects come back exactly, a run cut short is closed as interrupted, the lock is not
restored, and an object unchanged since the last save is reused rather than read again."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path

import boto3

from covid_etl.local import state
from covid_etl.resources import Resources, provision
from shared import aws
from shared.ledger import RunLedger, now_iso
from shared.runs import RunEnd, StageRecord


def fresh_resources() -> dict[str, str]:
    return provision(Resources(prefix=f"t{uuid.uuid4().hex[:10]}"))


def test_save_then_restore_into_empty_resources(aws_env: object, tmp_path: Path) -> None:
    before = fresh_resources()
    table = boto3.resource("dynamodb").Table(before["COVID_ETL_TABLE"])
    table.put_item(Item={"pk": "series#US", "sk": "2020-03-01", "cases": 74, "deaths": 1, "ratio": Decimal("0.25")})
    table.put_item(Item={"pk": "blob", "sk": "b", "data": b"\x00\xffbytes"})
    table.put_item(Item={"pk": "lock", "sk": "load", "owner": "a worker that is gone"})
    ledger = RunLedger(before["COVID_ETL_TABLE"])
    ledger.open("20200301T000000Z-done", "cli", "extract", StageRecord(status="running", started_at=now_iso()))
    ledger.close("20200301T000000Z-done", RunEnd(status="succeeded", finished_at=now_iso(), inserted=1))
    ledger.open("20200302T000000Z-busy", "schedule", "extract", StageRecord(status="running", started_at=now_iso()))
    s3 = aws.client("s3")
    bucket = before["COVID_ETL_BUCKET"]
    s3.put_object(Bucket=bucket, Key="raw/nyt/abc.csv", Body=b"date,cases\n", ContentType="text/csv")
    s3.put_object(Bucket=bucket, Key="../odd key", Body=b"{}")

    saved = state.save(tmp_path / "state", before["COVID_ETL_TABLE"], before["COVID_ETL_BUCKET"])
    assert (saved.items, saved.objects) == (5, 2)

    after = fresh_resources()
    restored = state.restore(tmp_path / "state", after["COVID_ETL_TABLE"], after["COVID_ETL_BUCKET"])
    assert restored is not None and (restored.items, restored.objects) == (4, 2)  # the lock stays behind
    again = boto3.resource("dynamodb").Table(after["COVID_ETL_TABLE"])
    day = again.get_item(Key={"pk": "series#US", "sk": "2020-03-01"})["Item"]
    assert (day["cases"], day["ratio"]) == (74, Decimal("0.25"))
    assert again.get_item(Key={"pk": "blob", "sk": "b"})["Item"]["data"].value == b"\x00\xffbytes"
    assert "Item" not in again.get_item(Key={"pk": "lock", "sk": "load"})
    raw = s3.get_object(Bucket=after["COVID_ETL_BUCKET"], Key="raw/nyt/abc.csv")
    assert (raw["Body"].read(), raw["ContentType"]) == (b"date,cases\n", "text/csv")
    assert s3.get_object(Bucket=after["COVID_ETL_BUCKET"], Key="../odd key")["Body"].read() == b"{}"
    runs = RunLedger(after["COVID_ETL_TABLE"])
    busy, done = runs.get("20200302T000000Z-busy"), runs.get("20200301T000000Z-done")
    assert busy is not None and busy.status == "interrupted" and busy.error == state.INTERRUPTED
    assert done is not None and (done.status, done.inserted, done.error) == ("succeeded", 1, None)


def test_a_second_save_reuses_unchanged_objects_and_replaces_the_first(aws_env: object, tmp_path: Path) -> None:
    env = fresh_resources()
    bucket, s3 = env["COVID_ETL_BUCKET"], aws.client("s3")
    s3.put_object(Bucket=bucket, Key="datasets/one.json", Body=b"[1]")
    state.save(tmp_path / "state", env["COVID_ETL_TABLE"], bucket)
    first = next((tmp_path / "state" / "bucket").iterdir())
    s3.put_object(Bucket=bucket, Key="datasets/two.json", Body=b"[2]")
    state.save(tmp_path / "state", env["COVID_ETL_TABLE"], bucket)
    files = sorted((tmp_path / "state" / "bucket").iterdir())
    assert len(files) == 2 and first.name in {f.name for f in files}
    assert (tmp_path / "state" / "bucket" / first.name).stat().st_nlink == 1  # the old snapshot is gone
    assert not (tmp_path / "state.new").exists() and not (tmp_path / "state.old").exists()
    assert state.restore(tmp_path / "nothing", env["COVID_ETL_TABLE"], bucket) is None
