"""The IAM evaluation that `tests/e2e/test_iam.py` relies on, on hand-written statements: if it
allowed too much, the e2e test could not fail."""

from __future__ import annotations

from typing import Any

import pytest
from support.iam_calls import Call, Request, requests
from support.iam_eval import decide, unused

TABLE = "arn:aws:dynamodb:eu-west-1:123456789012:table/t"
READ = {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": TABLE, "Policy": "p",
        "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["run", "meta"]}}}


def keys(*partitions: str) -> dict[str, list[str]]:
    return {"dynamodb:LeadingKeys": list(partitions)}


def test_an_action_outside_the_statement_is_denied() -> None:
    assert decide([READ], Request("dynamodb:GetItem", TABLE, keys("run"))).allowed
    assert not decide([READ], Request("dynamodb:BatchGetItem", TABLE, keys("run"))).allowed


def test_every_partition_of_a_request_must_be_allowed() -> None:
    assert decide([READ], Request("dynamodb:Query", TABLE, keys("run", "meta"))).allowed
    assert not decide([READ], Request("dynamodb:Query", TABLE, keys("run", "series#US"))).allowed


def test_for_all_values_holds_when_the_request_has_no_such_key() -> None:
    # AWS's documented (and surprising) rule: an empty set satisfies ForAllValues
    assert decide([READ], Request("dynamodb:GetItem", TABLE)).allowed


def test_an_explicit_deny_wins_and_wildcards_match() -> None:
    allow = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/raw/*", "Policy": "p"}
    deny = {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::b/raw/secret?", "Policy": "p"}
    assert decide([allow, deny], Request("s3:GetObject", "arn:aws:s3:::b/raw/x.csv")).allowed
    assert not decide([allow, deny], Request("s3:GetObject", "arn:aws:s3:::b/raw/secret1")).allowed
    assert not decide([allow], Request("s3:GetObject", "arn:aws:s3:::b/datasets/x")).allowed


def test_an_unknown_condition_operator_is_not_guessed() -> None:
    odd = dict(READ, Condition={"NumericLessThan": {"dynamodb:Attributes": ["1"]}})
    with pytest.raises(NotImplementedError):
        decide([odd], Request("dynamodb:GetItem", TABLE, keys("run")))


class Names:
    hash_key = "pk"

    def table(self, name: str) -> str:
        return f"arn:aws:dynamodb:eu-west-1:123456789012:table/{name}"

    def bucket(self, name: str) -> str:
        return f"arn:aws:s3:::{name}-deployed"

    def queue(self, url_or_name: str) -> str:
        return "arn:aws:sqs:eu-west-1:123456789012:" + url_or_name.rsplit("/", 1)[-1]

    def topic(self, arn: str) -> str:
        return arn

    def topic_key(self, topic_arn: str) -> str | None:
        return "arn:aws:kms:eu-west-1:123456789012:key/k"


def test_a_transaction_is_judged_action_by_action_and_a_404_needs_list_bucket() -> None:
    params: dict[str, Any] = {"TransactItems": [
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "run"}, "sk": {"S": "1"}}}},
        {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "lock"}, "sk": {"S": "load"}}}}]}
    got = requests(Call("loader", "dynamodb", "TransactWriteItems", params), Names())
    assert [(r.action, r.context["dynamodb:LeadingKeys"]) for r in got] == [
        ("dynamodb:PutItem", ["run"]), ("dynamodb:ConditionCheckItem", ["lock"])]
    head = Call("loader", "s3", "HeadObject", {"Bucket": "b", "Key": "plans/x"}, "404", 404)
    assert [(r.action, r.resource) for r in requests(head, Names())] == [
        ("s3:GetObject", "arn:aws:s3:::b-deployed/plans/x"), ("s3:ListBucket", "arn:aws:s3:::b-deployed")]
    publish = requests(Call("notifier", "sns", "Publish", {"TopicArn": "arn:aws:sns:r:1:t"}), Names())
    assert [r.action for r in publish] == ["sns:Publish", "kms:GenerateDataKey", "kms:Decrypt"]


def test_unused_lists_actions_and_partitions_no_request_needed() -> None:
    decision = decide([READ], Request("dynamodb:GetItem", TABLE, keys("run")))
    listed = unused([READ], [decision])
    assert any(line.startswith("dynamodb:Query") for line in listed)
    assert "partitions ['meta'] of ['dynamodb:GetItem', 'dynamodb:Query']: never touched" in listed


LIKE = {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": TABLE, "Policy": "p",
        "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["series#*", "revision#*", "meta"]}}}


def test_string_like_partitions_match_every_region_and_nothing_else() -> None:
    """The loader's statements since issue 18: `series#*` allows every region's partition, a request
    touching another partition is denied, and a plain name still matches only itself."""
    assert decide([LIKE], Request("dynamodb:PutItem", TABLE, keys("series#US", "revision#CA-ontario"))).allowed
    assert decide([LIKE], Request("dynamodb:PutItem", TABLE, keys("meta"))).allowed
    for other in ("run", "series", "metadata", "xseries#US", "Series#US"):  # case-sensitive, anchored
        assert not decide([LIKE], Request("dynamodb:PutItem", TABLE, keys("series#FR", other))).allowed, other


def test_a_pattern_no_request_matched_is_listed_as_unused() -> None:
    put = decide([LIKE], Request("dynamodb:PutItem", TABLE, keys("series#FR", "meta")))
    assert unused([LIKE], [put]) == ["partitions ['revision#*'] of ['dynamodb:PutItem']: never touched"]
