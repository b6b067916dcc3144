"""Teardown by stage, the email subscription, the CI stack, cdk-nag, and the SSM parameters the CLI reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from covid_etl.deployed import variable
from infra import nag
from shared.topology import QUEUES, dlq_url_var, queue_url_var
from tests.infra.cfn import GITHUB_REPO, RES, STAGES, Synth
from tests.infra.conftest import make_app, placeholder_build


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Template]]:
    build_dir = placeholder_build(tmp_path_factory.mktemp("build-prod"))
    _, stacks = make_app(build_dir, tmp_path_factory.mktemp("cdk.out-prod"), stage="prod",
                         alarm_email="ops@example.com")
    yield {name: Template.from_stack(stacks[name]) for name in ("data", "loader")}


def by_type(template: Template, kind: str) -> list[dict]:
    return [r for r in template.to_json()["Resources"].values() if r["Type"] == kind]


def test_dev_deletes_everything_with_its_stacks(synth: Synth) -> None:
    for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key"):
        assert synth.one("data", kind)["DeletionPolicy"] == "Delete", kind
    assert synth.resources("data", "Custom::S3AutoDeleteObjects")  # the bucket is emptied first
    for stage in STAGES:
        for queue in synth.resources(stage, "AWS::SQS::Queue").values():
            assert queue["DeletionPolicy"] == "Delete"


def test_prod_keeps_the_data_and_the_dead_letters(prod: dict[str, Template]) -> None:
    for kind in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key"):
        (resource,) = by_type(prod["data"], kind)
        assert resource["DeletionPolicy"] == "Retain" and resource["UpdateReplacePolicy"] == "Retain", kind
    (table,) = by_type(prod["data"], "AWS::DynamoDB::Table")
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert not by_type(prod["data"], "Custom::S3AutoDeleteObjects")
    queues = {q["Properties"]["QueueName"]: q for q in by_type(prod["loader"], "AWS::SQS::Queue")}
    assert queues[RES.dlq("loader")]["DeletionPolicy"] == "Retain"  # dead letters outlive the stack


def test_an_email_subscription_from_a_context_value(prod: dict[str, Template]) -> None:
    prod["data"].has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email",
                                                                    "Endpoint": "ops@example.com"})


def test_bucket_names_include_account_and_region(synth: Synth) -> None:
    name = synth.one("data", "AWS::S3::Bucket")["Properties"]["BucketName"]
    assert name == {"Fn::Join": ["", [f"{RES.bucket}-", {"Ref": "AWS::AccountId"}, "-", {"Ref": "AWS::Region"}]]}


def test_the_deploy_role_trusts_one_repository_and_environment(synth: Synth) -> None:
    provider = synth.one("ci", "AWS::IAM::OIDCProvider")["Properties"]
    assert provider["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]
    role = synth.one("ci", "AWS::IAM::Role")["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": f"repo:{GITHUB_REPO}:environment:dev"}}
    (policy,) = synth.resources("ci", "AWS::IAM::Policy").values()
    statement = policy["Properties"]["PolicyDocument"]["Statement"][0]  # then the deployed commit's parameter
    assert statement["Action"] == "sts:AssumeRole"
    assert "iam:ResourceTag/aws-cdk:bootstrap-role" in statement["Condition"]["StringEquals"]


def test_cdk_nag_finds_nothing_unacknowledged(synth: Synth) -> None:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    assert not [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]
    acknowledged = [entry["data"] for path in synth.outdir.glob("*.metadata.json")
                    for entries in json.loads(path.read_text()).values() for entry in entries
                    if entry["type"] == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY]
    assert acknowledged
    for data in acknowledged:
        for rule, reason in data.items():
            assert rule.startswith("AwsSolutions::AwsSolutions-") and len(reason) >= 20, rule  # each one justified


def test_cdk_nag_fails_a_synth_on_a_finding(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Unchecked")
    s3.Bucket(stack, "NoLogsNoTls")
    nag.check(app)
    with pytest.raises(Exception, match="ValidationFailed"):
        app.synth()


def test_ssm_parameters_give_the_cli_every_setting(synth: Synth) -> None:
    names = []
    for stack in ("data", *STAGES):
        for param in synth.resources(stack, "AWS::SSM::Parameter").values():
            names.append(param["Properties"]["Name"])
    variables = {variable(RES.prefix, name) for name in names} - {None}
    expected = {"COVID_ETL_TABLE", "COVID_ETL_BUCKET", "COVID_ETL_TOPIC_ARN",
                *(queue_url_var(q) for q in QUEUES), *(dlq_url_var(q) for q in QUEUES)}
    assert variables == expected
