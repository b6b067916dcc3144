"""The GitHub workflows: valid, pinned by commit, audited by zizmor; deploy by OIDC, only what changed
(the gating and the base commit: test_infra_deploy.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from infra.changed_stacks import stacks_for
from shared.topology import SERVICES, ServiceSpec

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent  # check-jsonschema and zizmor: requirements-dev.lock


def test_the_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "deploy-stage.yml", "deploy.yml"]


def test_workflows_match_the_github_workflow_schema() -> None:
    result = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_even_pedantic() -> None:
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--persona=pedantic", "--no-progress",
                             str(ROOT / ".github" / "workflows")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit(workflow: Path) -> None:
    uses = re.findall(r"uses:\s*(\S+)", workflow.read_text())
    assert uses
    for ref in (u for u in uses if not u.startswith("./.github/workflows/")):  # this repository's, same commit
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{workflow.name}: {ref} is not pinned by commit"


def test_deploy_assumes_a_role_by_oidc_with_no_stored_keys() -> None:
    text = (ROOT / ".github" / "workflows" / "deploy-stage.yml").read_text()
    assert "id-token: write" in text and "role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}" in text
    for path in WORKFLOWS:
        assert "secrets." not in path.read_text() and "aws-access-key-id" not in path.read_text(), path.name
    assert "python3 -m infra.deploy_plan" in text and 'STACKS="$STACKS"' in text
    ci = (ROOT / ".github" / "workflows" / "ci.yml").read_text()
    assert all(step in ci for step in ("make lint", "make test", "make synth"))


@pytest.mark.parametrize(("paths", "expected"), [
    (["services/notifier/handler.py"], ["notifier"]),
    (["services/loader/repository.py", "services/extractor/fetch.py"], ["extractor", "loader"]),
    (["web/app.js"], ["api"]),
    (["services/api/app.py", "docs/deploy.md"], ["api"]),
    (["docs/runbook.md", "tests/unit/test_diff.py", "infra/README.md", "bench/x.py", ".github/workflows/ci.yml",
      "Dockerfile", "docker-compose.yml"], []),
    (["covid_etl/cli.py"], None),  # the CDK app imports covid_etl.deployed
    (["Makefile"], None),
    (["pyproject.toml"], None),
    (["requirements-dev.lock"], None),
    (["infra/stages/prod.json"], None),
    (["services/__init__.py"], None),
    (["web/README.md"], ["api"]),  # served by the dashboard's bucket
    (["an-unknown-file"], None),
    (["services/notifier/handler.py", "shared/stage.py"], None),
    (["infra/stacks/service.py"], None),
    (["infra/layers/base.txt"], None),
    (["requirements.lock"], None),
])
def test_a_push_deploys_the_stacks_of_what_changed(paths: list[str], expected: list[str] | None) -> None:
    assert stacks_for(paths) == expected


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_every_declared_service_is_deployed_when_its_code_changes(spec: ServiceSpec) -> None:
    assert stacks_for([f"services/{spec.name}/handler.py"]) == [spec.name]


def test_the_script_prints_what_the_workflow_reads_with_no_package_installed() -> None:
    run = [sys.executable, "-S", "-m", "infra.changed_stacks"]  # -S: no site-packages, as a bare python3
    out = subprocess.run(run, input="services/loader/handler.py\nweb/index.html\n", capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "loader api"
    assert subprocess.run(run, input="shared/aws.py\n", capture_output=True, text=True,
                          cwd=ROOT).stdout.strip() == "all"
