"""The Dockerfile, parsed: a runtime image per service on a base pinned by digest, non-root, each
with its own dependency set (no development tools), built by CI. No engine runs here: the images'
dependency sets were resolved and imported on Python 3.12 by hand (docs/decisions.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from shared.topology import FUNCTIONS, FunctionSpec, ServiceSpec
from shared.topology import SERVICES as PIPELINE

ROOT = Path(__file__).resolve().parents[2]
SERVICES = tuple(spec.docker_target for spec in FUNCTIONS)  # one image per function (shared/topology.py)
TARGETS = (*SERVICES, "ops")
DEV_ONLY = {"moto", "cfn-lint", "docker", "pytest", "mypy", "ruff", "aws-cdk-lib", "cdk-nag", "responses"}


@dataclass
class Stage:
    base: str
    name: str
    lines: list[str] = field(default_factory=list)

    def instructions(self, keyword: str) -> list[str]:
        return [line.split(None, 1)[1] for line in self.lines if line.split(None, 1)[0] == keyword]


def parse(text: str) -> tuple[dict[str, str], dict[str, Stage]]:
    """(global ARGs, stages by name) of a Dockerfile: continuations joined, comments dropped."""
    lines = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()]
    args: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in (ln for ln in lines if ln and not ln.startswith("#")):
        if line.startswith("FROM "):
            words = line.split()
            assert len(words) == 4 and words[2] == "AS", f"every stage is named: {line}"
            current = stages.setdefault(words[3], Stage(words[1], words[3]))
        elif current is None and line.startswith("ARG "):
            key, _, value = line[4:].partition("=")
            args[key] = value
        else:
            assert current is not None, line
            current.lines.append(line)
    return args, stages


ARGS, STAGES = parse((ROOT / "Dockerfile").read_text())


def chain(name: str) -> list[Stage]:
    """The stage and its ancestors, nearest first."""
    found = [STAGES[name]]
    while found[-1].base in STAGES:
        found.append(STAGES[found[-1].base])
    return found


def requirement_files(target: str) -> list[Path]:
    """The files the pip install of the target's dependency stage reads (paths as /req has them)."""
    (source,) = [c.split()[0].removeprefix("--from=") for c in STAGES[target].instructions("COPY")
                 if c.startswith("--from=")]
    (install,) = STAGES[source].instructions("RUN")
    where = {"layers/": ROOT / "infra" / "layers", "": ROOT / "docker" / "requirements"}
    files = []
    for name in re.findall(r"-r (\S+)", install):
        prefix = "layers/" if name.startswith("layers/") else ""
        files.append(where[prefix] / name.removeprefix(prefix))
    assert "-c requirements.lock" in install and "--only-binary=:all:" in install
    return files


def pins(path: Path) -> dict[str, str]:
    lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", ln) for ln in lines), f"{path}: every line pinned"
    return {re.sub(r"[-_.]+", "-", ln.split("==")[0]).lower(): ln.split("==")[1] for ln in lines}


def packages(target: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in requirement_files(target):
        found.update(pins(path))
    return found


def test_the_base_is_python_312_pinned_by_digest() -> None:
    assert re.fullmatch(r"python:3\.12-slim@sha256:[0-9a-f]{64}", ARGS["PYTHON_IMAGE"])
    for stage in STAGES.values():
        assert stage.base == "${PYTHON_IMAGE}" or stage.base in STAGES, f"{stage.name} FROM {stage.base}"


def test_one_target_per_service_built_from_its_own_stages() -> None:
    assert set(TARGETS) <= set(STAGES)
    for target in TARGETS:
        names = [s.name for s in chain(target)]
        assert names == [target, "runtime"], names  # the build stages are copied from, never built upon


@pytest.mark.parametrize("target", TARGETS)
def test_each_image_runs_as_a_user_that_is_not_root(target: str) -> None:
    users = [u for stage in reversed(chain(target)) for u in stage.instructions("USER")]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert any("useradd" in r and f"--uid {users[-1]}" in r for r in STAGES["runtime"].instructions("RUN"))


@pytest.mark.parametrize("target", TARGETS)
def test_no_image_has_the_development_tools(target: str) -> None:
    found = packages(target)
    assert not DEV_ONLY & set(found), DEV_ONLY & set(found)
    assert ("pandas" in found) == (target == "transformer")
    assert ("flask" in found) == ("gunicorn" in found) == (target == "api")
    assert ("aiobotocore" in found) == (target in ("extractor", "transformer", "loader", "notifier"))
    assert "boto3" in found and "pydantic" in found


def test_every_pin_is_the_lockfiles() -> None:
    lock = pins(ROOT / "requirements.lock")
    for path in (*(ROOT / "docker" / "requirements").glob("*.txt"), *(ROOT / "infra" / "layers").glob("*.txt")):
        for name, version in pins(path).items():
            assert lock.get(name) == version, f"{path.name}: {name}=={version}, the lock has {lock.get(name)}"


@pytest.mark.parametrize("target", SERVICES)
def test_each_service_image_holds_its_own_code_only(target: str) -> None:
    copied = [c.split()[0] for stage in chain(target) for c in stage.instructions("COPY") if not c.startswith("--")]
    services = [c for c in copied if c.startswith("services/") and c != "services/__init__.py"]
    assert services == [f"services/{target}"]
    assert "shared" in copied and "covid_etl" not in copied
    assert ("web" in copied) == (target == "api")


def test_the_commands_are_composes() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for target in SERVICES:
        (cmd,) = STAGES[target].instructions("CMD")
        assert yaml.safe_load(cmd) == compose[target]["command"], target
    assert "covid_etl" in [c.split()[0] for c in STAGES["ops"].instructions("COPY")]


def test_the_build_context_lets_every_copy_through() -> None:
    ignore = (ROOT / ".dockerignore").read_text()
    for source in ("requirements.lock", "infra/layers/*.txt", "docker/requirements/*.txt", "shared/", "services/",
                   "covid_etl/", "web/"):
        assert f"!{source}" in ignore, source


def test_ci_builds_every_target_and_reports_its_size() -> None:
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    (step,) = [s for s in ci["jobs"]["images"]["steps"] if "run" in s]
    assert f"for target in {' '.join(TARGETS)}; do" in step["run"]
    assert 'docker build --target "$target"' in step["run"]
    assert "docker image ls" in step["run"] and "$GITHUB_STEP_SUMMARY" in step["run"]


@pytest.mark.parametrize("spec", FUNCTIONS, ids=lambda spec: spec.name)
def test_each_image_installs_its_specs_layers_and_its_own_code(spec: FunctionSpec) -> None:
    """The layers a function's spec names are the ones its image installs; a pipeline service's
    image runs the command its spec gives compose (`python -m shared.runtime <name>`)."""
    stage = STAGES[spec.docker_target]
    layers = {p.stem for p in requirement_files(spec.docker_target) if p.parent.name == "layers"}
    assert layers == set(spec.layers), (spec.name, layers)
    assert f"services/{spec.name} ./services/{spec.name}" in stage.instructions("COPY")
    if isinstance(spec, ServiceSpec):
        assert spec in PIPELINE
        (cmd,) = stage.instructions("CMD")
        assert yaml.safe_load(cmd) == list(spec.command)


def test_ci_builds_every_target() -> None:
    """The images job of .github/workflows/ci.yml builds one image per function of the topology, and ops."""
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())["jobs"]
    scripts = " ".join(step.get("run", "") for step in jobs["images"]["steps"])
    (targets,) = re.findall(r"for target in ([^;]+); do", scripts)
    assert targets.split() == list(TARGETS)
