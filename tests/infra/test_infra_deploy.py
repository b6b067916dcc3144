"""Deploys are gated and lossless: CI first on the same commit, a GitHub environment per stage, the
diff from the commit last deployed there (a real git history here), the OIDC role for that
environment only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Template

from infra import deploy_plan
from infra.config import InfraConfig
from infra.deploy_plan import plan
from infra.stacks.ci import CiStack
from shared.topology import Resources
from tests.infra.cfn import Synth

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def workflow(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    loaded["on"] = loaded.pop(True)  # YAML 1.1 reads the key `on` as true
    return dict(loaded)


# -- the workflows --------------------------------------------------------------------------------

def test_deploy_runs_after_ci_on_the_same_push_then_dev_then_prod() -> None:
    deploy = workflow("deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    jobs = deploy["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["dev"]["needs"] == "ci" and jobs["prod"]["needs"] == "dev"
    for stage in ("dev", "prod"):
        assert jobs[stage]["uses"] == "./.github/workflows/deploy-stage.yml"
        assert jobs[stage]["with"] == {"stage": stage}
        assert jobs[stage]["permissions"] == {"contents": "read", "id-token": "write"}
    assert workflow("ci.yml")["on"] == {"pull_request": None, "workflow_call": None}  # main's CI is deploy's


def test_each_stage_deploys_in_its_environment_one_at_a_time() -> None:
    stage = workflow("deploy-stage.yml")
    assert stage["on"]["workflow_call"]["inputs"]["stage"]["required"] is True
    (job,) = stage["jobs"].values()
    assert job["environment"] == "${{ inputs.stage }}"
    assert job["concurrency"] == {"group": "deploy-${{ inputs.stage }}", "cancel-in-progress": False}
    assert job["permissions"]["id-token"] == "write"


def test_the_diff_starts_at_the_deployed_commit_and_the_commit_is_recorded_after_the_deploy() -> None:
    (job,) = workflow("deploy-stage.yml")["jobs"].values()
    steps = job["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    names = [s.get("id") or s.get("name") or s["uses"].split("@")[0] for s in steps]
    assert names.index("aws-actions/configure-aws-credentials") < names.index("plan") \
        < names.index("Deploy") < names.index("Record the deployed commit")
    plan_step, deploy, record = (steps[names.index(n)] for n in ("plan", "Deploy", "Record the deployed commit"))
    assert "python3 -m infra.deploy_plan --parameter" in plan_step["run"]
    assert "aws ssm get-parameter" in plan_step["run"] and "ParameterNotFound" in plan_step["run"]
    assert 'python3 -m infra.deploy_plan "$base" "$HEAD_SHA"' in plan_step["run"]
    assert deploy["if"] == "steps.plan.outputs.stacks != 'nothing'"
    assert 'make deploy STAGE="$STAGE" STACKS="$STACKS"' in deploy["run"]
    assert record["if"] == "steps.plan.outputs.record == 'true'"
    assert "aws ssm put-parameter" in record["run"] and "--overwrite" in record["run"]


def test_no_approval_is_skipped_outside_an_environment_and_no_push_diffs_against_its_parent() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "github.event.before" not in text, path.name
        if "--require-approval never" in text:
            assert path.name == "deploy-stage.yml"
            assert all(job.get("environment") for job in workflow(path.name)["jobs"].values())


def test_ci_installs_what_every_tier_needs() -> None:
    test = workflow("ci.yml")["jobs"]["test"]
    setup = {s["uses"].split("@")[0]: s.get("with", {}) for s in test["steps"] if "uses" in s}
    assert set(setup["actions/setup-python"]["python-version"].split()) == {"3.11", "3.12", "3.13"}
    assert setup["actions/setup-java"]["java-version"] == "17"
    assert test["env"]["COVID_ETL_CHROMIUM"] == "/usr/bin/google-chrome"
    assert test["env"]["COVID_ETL_NO_REAL_DATA"] == "1"  # the one skip CI allows, declared
    assert "CI" not in test["env"]  # GitHub sets CI=true itself


# -- the plan, on a real history ---------------------------------------------------------------

def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})
    return done.stdout.strip()


def commit(repo: Path, *paths: str) -> str:
    for path in paths:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        with open(repo / path, "a") as f:
            f.write("change\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", " ".join(paths))
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    commit(tmp_path, "README.md")
    return tmp_path


def test_first_deploy_deploys_everything(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    assert (plan("", head, repo).stacks, plan("", head, repo).record) == ("all", True)


def test_a_cancelled_runs_change_is_deployed_by_the_next_run(repo: Path) -> None:
    deployed = git(repo, "rev-parse", "HEAD")
    commit(repo, "services/loader/handler.py")  # its run was cancelled while waiting
    head = commit(repo, "docs/runbook.md")
    result = plan(deployed, head, repo)
    assert (result.stacks, result.record) == ("loader", True)


def test_documentation_alone_deploys_nothing_but_moves_the_record(repo: Path) -> None:
    deployed = git(repo, "rev-parse", "HEAD")
    head = commit(repo, "docs/deploy.md", "tests/unit/test_x.py", "Dockerfile")
    assert (plan(deployed, head, repo).stacks, plan(deployed, head, repo).record) == ("nothing", True)


@pytest.mark.parametrize("path", ["Makefile", "pyproject.toml", "requirements.lock", "requirements-dev.lock",
                                  "covid_etl/deployed.py", "infra/stages/prod.json", "infra/layers/base.txt",
                                  "shared/aws.py", "package-lock.json", "tools/venv-install.sh", "new-folder/x.py"])
def test_what_the_cdk_app_or_an_asset_reads_deploys_everything(repo: Path, path: str) -> None:
    deployed = git(repo, "rev-parse", "HEAD")
    assert plan(deployed, commit(repo, path), repo).stacks == "all"


def test_an_older_commit_never_rolls_a_newer_deploy_back(repo: Path) -> None:
    older = commit(repo, "services/notifier/letter.py")
    deployed = commit(repo, "services/loader/handler.py")
    for head in (older, deployed):
        result = plan(deployed, head, repo)
        assert (result.stacks, result.record) == ("nothing", False)


def test_an_unknown_or_unrelated_base_deploys_everything(repo: Path) -> None:
    head = commit(repo, "services/loader/handler.py")
    assert plan("0" * 40, head, repo).stacks == "all"
    git(repo, "checkout", "-q", "--orphan", "other")
    unrelated = commit(repo, "docs/x.md")
    assert plan(unrelated, head, repo).stacks == "all"


def test_the_parameter_is_named_by_the_stages_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PREFIX", raising=False)
    assert deploy_plan.parameter("prod") in ("/covid-etl/deployed-commit",
                                             f"/{deploy_plan.prefix('prod')}/deployed-commit")
    monkeypatch.setenv("PREFIX", "etl2")
    assert deploy_plan.parameter("prod") == "/etl2/deployed-commit"


def test_the_script_runs_with_a_bare_python(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD")
    out = subprocess.run([sys.executable, "-S", "-m", "infra.deploy_plan", "", head], capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out.splitlines()[:2] == ["stacks=all", "record=true"]
    out = subprocess.run([sys.executable, "-S", "-m", "infra.deploy_plan", "--parameter", "dev"],
                         capture_output=True, text=True, check=True, cwd=ROOT, env={"PATH": os.environ["PATH"]}).stdout
    assert out.strip().endswith("/deployed-commit")


# -- the OIDC role -----------------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_the_deploy_role_trusts_the_stages_environment_only(stage: str) -> None:
    config = InfraConfig(resources=Resources(), stage=stage, github_repo="acme/covid-etl")
    body = Template.from_stack(CiStack(cdk.App(), "ci", config=config)).to_json()
    (role,) = (r["Properties"] for r in body["Resources"].values() if r["Type"] == "AWS::IAM::Role")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": f"repo:acme/covid-etl:environment:{stage}"}}
    (policy,) = (r["Properties"] for r in body["Resources"].values() if r["Type"] == "AWS::IAM::Policy")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert set(statements) == {"AssumeCdkBootstrapRoles", "DeployedCommit"}
    assert statements["DeployedCommit"]["Action"] == ["ssm:GetParameter", "ssm:PutParameter"]
    resource = json.dumps(statements["DeployedCommit"]["Resource"])
    assert resource.endswith(':parameter/covid-etl/deployed-commit"]]}') and "*" not in resource


# -- the bootstrap's CloudFormation execution policy (docs/deploy.md) -------------------------

POLICY = ROOT / "infra" / "bootstrap" / "execution-policy.json"
SERVICE_OF = {"ApiGatewayV2": "apigateway", "CloudFront": "cloudfront", "CloudWatch": "cloudwatch",
              "DynamoDB": "dynamodb", "Events": "events", "IAM": "iam", "KMS": "kms", "Lambda": "lambda",
              "Logs": "logs", "S3": "s3", "SNS": "sns", "SQS": "sqs", "SSM": "ssm"}


def policy_actions() -> list[tuple[str, str]]:
    """(action, resource) pairs of the policy's statements, all Allow."""
    pairs = []
    for statement in json.loads(POLICY.read_text())["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        pairs += [(a, r) for a in actions for r in resources]
    return pairs


def test_the_execution_policy_covers_every_resource_type_the_stacks_declare(synth: Synth) -> None:
    services = {a.split(":")[0] for a, _ in policy_actions()}
    for name in synth.stacks:
        for resource in synth.json(name)["Resources"].values():
            kind = resource["Type"]
            if kind.startswith("Custom::"):  # a provider function of the stack's own, invoked by CloudFormation
                assert "lambda" in services
                continue
            service = SERVICE_OF.get(kind.split("::")[1])
            assert service in services, f"{name}: {kind} needs its service in {POLICY.name}"


def test_the_execution_policy_is_not_administrator() -> None:
    for action, resource in policy_actions():
        assert action != "*" and not action.startswith("iam:*") and action not in ("iam:PassRole*", "sts:*")
        if action.endswith(":*"):  # a whole service only on the project's own resources
            assert "covid-etl" in resource or action in ("kms:*", "cloudfront:*", "apigateway:*", "lambda:*"), \
                (action, resource)
            assert resource != "*", action
