"""Teardown by stage, the stage files (what a CI deploy keeps), the CI stack, cdk-nag, and the SSM
parameters the CLI reads."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from covid_etl.deployed import variable
from infra import nag
from infra.app import build
from infra.config import STAGE_KEYS, InfraConfig, stage_file
from shared.topology import QUEUES, dlq_url_var, queue_url_var
from tests.infra.cfn import GITHUB_REPO, RES, STAGES, Synth
from tests.infra.conftest import placeholder_build

ROOT = Path(__file__).resolve().parents[2]


# A stage file as an operator commits it. CI passes the stage only (`make deploy STAGE=prod STACKS=data`).
PROD_FILE = {"prefix": "covid-etl", "alarm_email": "ops@example.com", "runs_email": "runs@example.com",
             "dashboard_url": "https://d123.cloudfront.net"}


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Template]]:
    stages = tmp_path_factory.mktemp("stages")
    (stages / "prod.json").write_text(json.dumps(PROD_FILE))
    build_dir = placeholder_build(tmp_path_factory.mktemp("build-prod"))
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk.out-prod")),
                  context={"stage": "prod", "stages_dir": str(stages), "build_dir": str(build_dir)})  # CI's context
    stacks = build(app)
    yield {name: Template.from_stack(stacks[name]) for name in ("data", "loader", "notifier")}


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


def test_a_ci_deploy_keeps_the_stage_files_subscriptions_and_dashboard_url(prod: dict[str, Template]) -> None:
    topics = {k: v["Properties"]["TopicName"] for k, v in prod["data"].to_json()["Resources"].items()
              if v["Type"] == "AWS::SNS::Topic"}
    subscribed = {(topics[s["Properties"]["TopicArn"]["Ref"]], s["Properties"]["Endpoint"])
                  for s in by_type(prod["data"], "AWS::SNS::Subscription") if s["Properties"]["Protocol"] == "email"}
    assert subscribed == {(RES.alarm_topic, "ops@example.com"), (RES.topic, "runs@example.com")}
    (function,) = by_type(prod["notifier"], "AWS::Lambda::Function")
    assert function["Properties"]["Environment"]["Variables"]["COVID_ETL_DASHBOARD_URL"] == PROD_FILE["dashboard_url"]


@pytest.mark.parametrize(("settings", "warnings"), [({"prefix": "covid-etl"}, 1), (PROD_FILE, 0)])
def test_prod_without_an_alarm_email_warns(synth: Synth, tmp_path: Path, settings: dict[str, str],
                                           warnings: int) -> None:
    (tmp_path / "prod.json").write_text(json.dumps(settings))
    app = cdk.App(outdir=str(tmp_path / "out"), context={"stage": "prod", "stages_dir": str(tmp_path),
                                                         "build_dir": str(synth.build_dir)})
    data = build(app)["data"]
    assert len(Annotations.from_stack(data).find_warning("*", Match.string_like_regexp("alarm_email"))) == warnings


def test_a_context_value_overrides_the_stage_file(synth: Synth, tmp_path: Path) -> None:
    (tmp_path / "prod.json").write_text(json.dumps(PROD_FILE))
    context = {"stage": "prod", "stages_dir": str(tmp_path), "build_dir": str(synth.build_dir)}
    assert InfraConfig.from_context(context.get).alarm_email == "ops@example.com"
    assert InfraConfig.from_context({**context, "alarm_email": "me@example.com"}.get).alarm_email == "me@example.com"


def test_the_committed_stage_files_are_read(synth: Synth, tmp_path: Path) -> None:
    for stage in ("dev", "prod"):
        assert set(stage_file(stage)) <= set(STAGE_KEYS)
        config = InfraConfig.from_context({"stage": stage, "build_dir": str(synth.build_dir)}.get)
        assert config.stage == stage and config.prefix == stage_file(stage)["prefix"]
    (tmp_path / "dev.json").write_text(json.dumps({"alarm_mail": "typo@example.com"}))
    with pytest.raises(SystemExit, match="unknown settings"):
        stage_file("dev", tmp_path)


def test_make_deploy_passes_the_stage_only(tmp_path: Path) -> None:
    """What CI runs: the prefix for the stack names comes from the stage file, every setting with it."""
    (tmp_path / "prod.json").write_text(json.dumps({**PROD_FILE, "prefix": "acme"}))
    result = subprocess.run(["make", "-n", "deploy", "STAGE=prod", "STACKS=data loader",
                             f"STAGE_FILE={tmp_path / 'prod.json'}"], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=True)
    synth, deploy = [line for line in result.stdout.splitlines() if "/cdk " in line]
    assert " -c stage=prod " in synth and "alarm_email" not in synth and "prefix" not in synth
    assert " deploy -e acme-data acme-loader" in deploy


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
