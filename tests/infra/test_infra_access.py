"""Least privilege, per function: no deletes, no Scan, no streams; partitions and key prefixes by need."""

from __future__ import annotations

from fnmatch import fnmatchcase

import pytest

from infra.stacks.access import ACCESS, DDB_READ, DDB_WRITE
from shared.layout import REVISION, SERIES
from tests.infra.cfn import BUCKET, RES, Synth, as_list, flat, statements

FUNCTIONS = ("extractor", "transformer", "loader", "notifier", "api")
STREAMS = {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"}


def actions(synth: Synth, stack: str) -> list[tuple[str, dict]]:
    return [(a, s) for s in statements(synth, stack, functions_only=True) for a in as_list(s["Action"])]


@pytest.mark.parametrize("stack", FUNCTIONS)
def test_no_delete_no_scan_no_stream_reads(synth: Synth, stack: str) -> None:
    found = actions(synth, stack)
    assert found, "no statement found: the role filter is broken"
    for action, statement in found:
        assert "Scan" not in action and action not in STREAMS, action
        assert "*" not in action, action
        if "Delete" in action:  # the SQS event source deletes what the function handled, from its own queue
            assert action == "sqs:DeleteMessage" and stack != "api", action
            assert flat(statement["Resource"], synth.json(stack)["Resources"]) == f"queue:{RES.queue(stack)}"


@pytest.mark.parametrize("stack", FUNCTIONS)
def test_table_statements_are_limited_to_the_partitions_the_service_uses(synth: Synth, stack: str) -> None:
    found = {}
    for statement in statements(synth, stack, functions_only=True):
        table_actions = tuple(a for a in as_list(statement["Action"]) if a.startswith("dynamodb:"))
        if table_actions:
            keys = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            found[table_actions] = set(keys)
    expected: dict[tuple[str, ...], set[str]] = {DDB_READ: set(ACCESS[stack].reads)}
    if ACCESS[stack].writes:
        expected[DDB_WRITE] = set(ACCESS[stack].writes)
    assert found == expected


def test_the_notifier_cannot_write_series_rows(synth: Synth) -> None:
    writes = [s for s in statements(synth, "notifier", functions_only=True)
              if set(as_list(s["Action"])) & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"}]
    assert writes
    for statement in writes:
        allowed = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
        assert not any(fnmatchcase(f"{SERIES}{region}", p) for p in allowed for region in ("US", "FR", "CA-ontario"))
    loader = [s for s in statements(synth, "loader", functions_only=True) if "dynamodb:BatchWriteItem" in s["Action"]]
    allowed = loader[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert all(any(fnmatchcase(f"{pk}{region}", p) for p in allowed) for pk in (SERIES, REVISION)
               for region in ("US", "FR", "CA-ontario"))


def test_the_api_only_reads(synth: Synth) -> None:
    assert {a for a, _ in actions(synth, "api") if not a.startswith(("logs:", "xray:"))} == set(DDB_READ)


@pytest.mark.parametrize("stack", FUNCTIONS)
def test_s3_access_is_per_key_prefix(synth: Synth, stack: str) -> None:
    bucket = f"arn:${{AWS::Partition}}:s3:::{BUCKET}"
    by_action: dict[str, set[str]] = {}
    for action, statement in actions(synth, stack):
        if action.startswith("s3:"):
            by_action.setdefault(action, set()).update(flat(r) for r in as_list(statement["Resource"]))
    access = ACCESS[stack]
    expected = {}
    if access.gets:
        expected["s3:GetObject"] = {f"{bucket}/{p}*" for p in access.gets}
    if access.puts:
        expected["s3:PutObject"] = {f"{bucket}/{p}*" for p in access.puts}
    if access.lists:
        expected["s3:ListBucket"] = {bucket}
    assert by_action == expected


def test_only_the_notifier_publishes_and_uses_the_topic_key(synth: Synth) -> None:
    for stack in FUNCTIONS:
        found = {a for a, _ in actions(synth, stack) if a.startswith(("sns:", "kms:"))}
        assert found == ({"sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"} if stack == "notifier" else set())
    (kms,) = [s for s in statements(synth, "notifier", functions_only=True) if "kms:Decrypt" in s["Action"]]
    parameter = synth.json("notifier")["Parameters"][kms["Resource"]["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>" and parameter["Default"] == "/covid-etl/key-arn"


def test_the_loaders_concurrency_is_bounded(synth: Synth) -> None:
    for stack in ("extractor", "transformer", "loader", "notifier"):
        mapping = synth.one(stack, "AWS::Lambda::EventSourceMapping")["Properties"]
        assert mapping.get("ScalingConfig") == ({"MaximumConcurrency": 2} if stack == "loader" else None)
