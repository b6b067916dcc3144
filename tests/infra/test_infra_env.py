"""The app synthesized as a real deploy does it (account and region pinned) and without an environment:
cdk-nag clean both ways, the region asked for is the one in the templates, and `make deploy` stops
on a synth that fails."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import aws_cdk as cdk
import pytest

from infra.config import InfraConfig
from tests.infra.cfn import ACCOUNT, REGION, RES, Synth

ROOT = Path(__file__).resolve().parents[2]


def violations(synth: Synth) -> list[dict]:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    return [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])]


def test_both_synths_are_cdk_nag_clean(synth: Synth, pinned: Synth) -> None:
    assert not violations(synth) and not violations(pinned)
    assert all(cdk.Token.is_unresolved(s.account) and cdk.Token.is_unresolved(s.region)
               for s in synth.stacks.values())  # no environment: the pseudo parameters
    assert all((s.account, s.region) == (ACCOUNT, REGION) for s in pinned.stacks.values())


def test_the_region_asked_for_is_the_region_in_the_templates(pinned: Synth) -> None:
    texts = {p.name: p.read_text() for p in pinned.outdir.glob("*.template.json")}
    assert len(texts) == 7
    assert not [name for name, text in texts.items() if "us-east-1" in text]
    bucket = pinned.one("data", "AWS::S3::Bucket")["Properties"]["BucketName"]
    assert bucket == f"{RES.bucket}-{ACCOUNT}-{REGION}"
    env = pinned.one("loader", "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert f"https://sqs.{REGION}." in json.dumps(env["COVID_ETL_NOTIFIER_QUEUE_URL"])
    (action,) = [a for alarm in pinned.resources("loader", "AWS::CloudWatch::Alarm").values()
                 for a in alarm["Properties"]["AlarmActions"]][:1]
    assert f":sns:{REGION}:{ACCOUNT}:{RES.alarm_topic}" in json.dumps(action)


def test_a_stage_file_pins_account_and_region_over_the_clis(synth: Synth, tmp_path: Path) -> None:
    (tmp_path / "prod.json").write_text(json.dumps({"account": "222222222222", "region": "eu-central-1"}))
    config = InfraConfig.from_context({"stage": "prod", "stages_dir": str(tmp_path),
                                       "build_dir": str(synth.build_dir)}.get)
    env = config.environment(ACCOUNT, "us-east-1")
    assert env is not None and (env.account, env.region) == ("222222222222", "eu-central-1")


def test_the_clis_region_alone_pins_nothing(synth: Synth, tmp_path: Path) -> None:
    # Without credentials the CLI still names a region (us-east-1 by default): not a place to deploy to.
    config = InfraConfig.from_context({"build_dir": str(synth.build_dir)}.get)
    assert config.environment(None, "us-east-1") is None
    env = config.environment(ACCOUNT, REGION)
    assert env is not None and (env.account, env.region) == (ACCOUNT, REGION)


@pytest.mark.parametrize("target", ["deploy", "diff"])
def test_make_deploy_stops_in_one_line_when_the_synth_fails(tmp_path: Path, target: str) -> None:
    (tmp_path / "prod.json").write_text(json.dumps({"alarm_mail": "typo@example.com"}))  # a typo: refused
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_"))}
    env.update(CDK_DEFAULT_ACCOUNT=ACCOUNT, CDK_DEFAULT_REGION=REGION)
    result = subprocess.run(["make", target, "STAGE=prod", "STACKS=data", f"CDK_ARGS=-c stages_dir={tmp_path}",
                             f"CDK_OUT={tmp_path / 'cdk.out'}"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode != 0
    assert "unknown settings ['alarm_mail']" in result.stdout + result.stderr
    (reason,) = [line for line in result.stderr.splitlines() if line.startswith(f"make {target}: stopped")]
    assert "nothing deployed" in reason and "infra/stages/prod.json" in reason
    assert f"{target} -e" not in result.stdout  # make never reached `cdk deploy` or `cdk diff`
