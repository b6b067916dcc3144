"""The recorded AWS calls of the services, and the IAM authorization requests each one makes on AWS.

A call is one line of `tests/support/iam_trace/sitecustomize.py`'s trace. `requests(call, names)`
turns it into what AWS authorizes: an action, a resource ARN (the local emulator's names mapped to
the deployed ones by `names`) and the request's context keys (`dynamodb:LeadingKeys`: the partition
keys it touches). The mapping follows the AWS documentation of each service's actions:

- a TransactWriteItems is authorized action by action, each on its table (Put -> PutItem, Update ->
  UpdateItem, Delete -> DeleteItem, ConditionCheck -> ConditionCheckItem; the IAM reference has no
  `dynamodb:TransactWriteItems` action), with `dynamodb:EnclosingOperation` set;
- a BatchGetItem / BatchWriteItem is one request per table, its LeadingKeys every key's partition;
- S3's HeadObject needs s3:GetObject, and an answer of 404 (missing key) needs s3:ListBucket too
  (without it AWS answers 403, which the code would not read as "missing");
- SQS's SendMessage needs sqs:SendMessage on the queue's ARN (from its URL);
- SNS's Publish needs sns:Publish on the topic, and on an encrypted topic kms:GenerateDataKey and
  kms:Decrypt on its key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

Context = dict[str, list[str]]
TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
S3_OBJECT = {"GetObject": "s3:GetObject", "HeadObject": "s3:GetObject", "PutObject": "s3:PutObject",
             "DeleteObject": "s3:DeleteObject", "CreateMultipartUpload": "s3:PutObject",
             "UploadPart": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject",
             "AbortMultipartUpload": "s3:AbortMultipartUpload"}
S3_BUCKET = {"ListObjectsV2": "s3:ListBucket", "ListObjects": "s3:ListBucket", "HeadBucket": "s3:ListBucket"}


class Names(Protocol):
    """The deployed ARN of each resource a local call names."""

    def table(self, name: str) -> str: ...
    def bucket(self, name: str) -> str: ...
    def queue(self, url_or_name: str) -> str: ...
    def topic(self, arn: str) -> str: ...
    def topic_key(self, topic_arn: str) -> str | None: ...
    @property
    def hash_key(self) -> str: ...


@dataclass(frozen=True)
class Call:
    service: str
    aws: str
    op: str
    params: dict[str, Any]
    error: str | None = None
    status: int | None = 200
    warm_up: bool = False


@dataclass(frozen=True)
class Request:
    """One IAM authorization request: what AWS evaluates against the caller's policies."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)
    note: str = ""

    def describe(self) -> str:
        keys = f" {self.context}" if self.context else ""
        return f"{self.action} on {self.resource}{keys}{f' ({self.note})' if self.note else ''}"


def read_trace(folder: Path) -> list[Call]:
    calls = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            raw = json.loads(line)
            calls.append(Call(raw["service"], raw["aws"], raw["op"], raw["params"], raw["error"], raw["status"],
                              raw["warm_up"]))
    return calls


def _partition(key: dict[str, Any], hash_key: str) -> str:
    value = key.get(hash_key)
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"no partition key {hash_key!r} in {key}")
    return str(next(iter(value.values())))


def _query_partition(params: dict[str, Any], hash_key: str) -> str:
    names = params.get("ExpressionAttributeNames", {})
    for name, placeholder in re.findall(r"([#\w]+)\s*=\s*(:\w+)", params["KeyConditionExpression"]):
        if names.get(name, name) == hash_key:
            return str(next(iter(params["ExpressionAttributeValues"][placeholder].values())))
    raise ValueError(f"no partition key in {params['KeyConditionExpression']!r}")


def _dynamodb(call: Call, names: Names) -> Iterator[Request]:
    p, hk = call.params, names.hash_key
    if call.op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        key = p["Item"] if call.op == "PutItem" else p["Key"]
        yield Request(f"dynamodb:{call.op}", names.table(p["TableName"]),
                      {"dynamodb:LeadingKeys": [_partition(key, hk)]})
    elif call.op == "Query":
        resource = names.table(p["TableName"]) + (f"/index/{p['IndexName']}" if "IndexName" in p else "")
        yield Request("dynamodb:Query", resource, {"dynamodb:LeadingKeys": [_query_partition(p, hk)]})
    elif call.op in ("BatchGetItem", "BatchWriteItem"):
        for table, wanted in p["RequestItems"].items():
            keys = wanted["Keys"] if call.op == "BatchGetItem" else [
                w.get("PutRequest", {}).get("Item") or w["DeleteRequest"]["Key"] for w in wanted]
            partitions = sorted({_partition(k, hk) for k in keys})
            yield Request(f"dynamodb:{call.op}", names.table(table), {"dynamodb:LeadingKeys": partitions})
    elif call.op in ("TransactWriteItems", "TransactGetItems"):
        for item in p["TransactItems"]:
            (kind, action), = item.items()
            key = action["Item"] if kind == "Put" else action["Key"]
            yield Request(f"dynamodb:{TRANSACT.get(kind, 'GetItem')}", names.table(action["TableName"]),
                          {"dynamodb:LeadingKeys": [_partition(key, hk)],
                           "dynamodb:EnclosingOperation": [call.op]}, note=f"{kind} in {call.op}")
    else:  # DescribeTable, Scan, ...: on the table, no partition to condition on
        yield Request(f"dynamodb:{call.op}", names.table(p.get("TableName", "?")))


def _s3(call: Call, names: Names) -> Iterator[Request]:
    p = call.params
    bucket = names.bucket(p["Bucket"])
    if call.op in S3_OBJECT:
        yield Request(S3_OBJECT[call.op], f"{bucket}/{p['Key']}")
        if call.status == 404:
            yield Request("s3:ListBucket", bucket, note=f"{call.op} answered 404: 403 without it")
    elif call.op == "CopyObject":
        source = p["CopySource"]
        src = f"{source['Bucket']}/{source['Key']}" if isinstance(source, dict) else source.lstrip("/")
        src_bucket, _, src_key = src.partition("/")
        yield Request("s3:GetObject", f"{names.bucket(src_bucket)}/{src_key}")
        yield Request("s3:PutObject", f"{bucket}/{p['Key']}")
    else:
        yield Request(S3_BUCKET.get(call.op, f"s3:{call.op}"), bucket)


def requests(call: Call, names: Names) -> list[Request]:
    """The authorization requests AWS makes for `call`."""
    p = call.params
    if call.aws == "dynamodb":
        return list(_dynamodb(call, names))
    if call.aws == "s3":
        return list(_s3(call, names))
    if call.aws == "sqs":
        action = "sqs:SendMessage" if call.op == "SendMessageBatch" else f"sqs:{call.op}"
        return [Request(action, names.queue(p.get("QueueUrl") or p["QueueName"]))]
    if call.aws == "sns" and "TopicArn" in p:
        topic = names.topic(p["TopicArn"])
        out = [Request(f"sns:{call.op}", topic)]
        key = names.topic_key(p["TopicArn"]) if call.op == "Publish" else None
        if key:
            out += [Request(a, key, note="the topic's key, used by SNS for the publisher") for a in
                    ("kms:GenerateDataKey", "kms:Decrypt")]
        return out
    return [Request(f"{call.aws}:{call.op}", "*", note="no resource mapping known: judged on '*'")]
