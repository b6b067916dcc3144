"""The embedded stack's state on disk, so that stopping `covid-etl up` and starting it again loses nothing.

moto keeps everything in memory. `up` saves the table's items and the bucket's objects under
`.covid-etl/state/` on a clean stop (Ctrl-C, SIGTERM) and after every run that ends, and restores
them after provisioning, before the workers and the API start. `covid-etl up --fresh` deletes it.

    state/table.jsonl     one item a line, in DynamoDB's JSON (types kept: numbers stay exact)
    state/bucket.json     key -> ETag and content type of every object
    state/bucket/<hash>   the objects' bytes, one file per key (named by the key's sha256)

Not saved: messages in the queues and DLQs, and the load lock. A run still going at a stop is
ended as `interrupted` when the state is restored, since its messages are gone. A
SIGKILL of `up` saves nothing: the next start restores the state as of the last run that ended.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import aws
from shared.ledger import RUN_PK, RunLedger
from shared.lifecycle import RunLifecycle

SKIPPED_PKS = ("lock",)  # a lease held by a process that no longer runs
INTERRUPTED = ("interrupted: `covid-etl up` stopped before this run ended (its messages are not kept); "
               "start another with `covid-etl run`")


@dataclass(frozen=True)
class Saved:
    items: int
    objects: int


def save(folder: Path, table: str, bucket: str, dynamodb: Any = None, s3: Any = None) -> Saved:
    """Write the table and the bucket to `folder` (replaced whole, so a stop mid-save keeps the last one)."""
    dynamodb, s3 = dynamodb or aws.client("dynamodb"), s3 or aws.client("s3")
    recover(folder)
    new, old = folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")
    shutil.rmtree(new, ignore_errors=True)
    (new / "bucket").mkdir(parents=True)
    items = 0
    with open(new / "table.jsonl", "w") as out:
        for item in _scan(dynamodb, table):
            out.write(json.dumps(item, default=_encode) + "\n")
            items += 1
    kept = _manifest(folder)
    manifest = {}
    for obj in _objects(s3, bucket):
        key, etag = obj["Key"], obj["ETag"]
        target, before = _path(new, key), _path(folder, key)
        if kept.get(key, {}).get("etag") == etag and before.is_file():  # unchanged since the last save
            target.hardlink_to(before)
            content_type = kept[key]["content_type"]
        else:
            got = s3.get_object(Bucket=bucket, Key=key)
            target.write_bytes(got["Body"].read())
            content_type = got.get("ContentType", "application/octet-stream")
        manifest[key] = {"etag": etag, "content_type": content_type}
    (new / "bucket.json").write_text(json.dumps(manifest, indent=1))
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    new.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return Saved(items, len(manifest))


def recover(folder: Path) -> None:
    """After a crash between a save's two renames: the complete new save, else the previous one."""
    if folder.exists():
        return
    for candidate in (folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")):
        if (candidate / "bucket.json").is_file():  # written last: the save is whole
            candidate.rename(folder)
            return


def restore(folder: Path, table: str, bucket: str, dynamodb: Any = None, s3: Any = None) -> Saved | None:
    """Put the saved items and objects back; None when nothing was saved. Closes interrupted runs."""
    recover(folder)
    if not (folder / "table.jsonl").is_file():
        return None
    dynamodb, s3 = dynamodb or aws.client("dynamodb"), s3 or aws.client("s3")
    items = [json.loads(line, object_hook=_decode) for line in open(folder / "table.jsonl") if line.strip()]
    items = [i for i in items if i["pk"]["S"] not in SKIPPED_PKS]
    for start in range(0, len(items), 25):
        _write_batch(dynamodb, table, items[start:start + 25])
    manifest = _manifest(folder)
    for key, meta in manifest.items():
        s3.put_object(Bucket=bucket, Key=key, Body=_path(folder, key).read_bytes(), ContentType=meta["content_type"])
    running = [i["sk"]["S"] for i in items if i["pk"]["S"] == RUN_PK and i.get("status", {}).get("S") == "running"]
    ledger = RunLedger(table)
    for run_id in running:
        RunLifecycle(ledger, run_id).interrupt(INTERRUPTED)
    return Saved(len(items), len(manifest))


def _scan(dynamodb: Any, table: str) -> Any:
    kwargs: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = dynamodb.scan(**kwargs)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _objects(s3: Any, bucket: str) -> Any:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        yield from page.get("Contents", [])


def _write_batch(dynamodb: Any, table: str, items: list[dict[str, Any]]) -> None:
    requests: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in items]}
    while requests:
        requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}


def _manifest(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "bucket.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _path(folder: Path, key: str) -> Path:
    return folder / "bucket" / hashlib.sha256(key.encode()).hexdigest()


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):  # DynamoDB binary attributes
        return {"__b64__": base64.b64encode(value).decode()}
    raise TypeError(f"cannot save {type(value).__name__}")


def _decode(value: dict[str, Any]) -> Any:
    return base64.b64decode(value["__b64__"]) if set(value) == {"__b64__"} else value
