"""One real synthesis of the whole CDK app per test session (cdk-nag's checks included)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.app import build  # noqa: E402
from infra.stacks.assets import LAYERS  # noqa: E402
from tests.infra.cfn import ACCOUNT, GITHUB_REPO, REGION, Synth  # noqa: E402


def placeholder_build(root: Path) -> Path:
    """A build folder with placeholder layers: the real ones are built by `make lambda-layer`."""
    for name in LAYERS:
        (root / "layers" / name / "python").mkdir(parents=True)
        (root / "layers" / name / "python" / f"{name}.txt").write_text(f"placeholder for the {name} layer\n")
    return root


def make_app(build_dir: Path, outdir: Path, account: str | None = None, region: str | None = None,
             **context: str) -> tuple[cdk.App, dict[str, cdk.Stack]]:
    """The app with `context` as `-c` values; `account` and `region` as the CDK CLI passes them."""
    app = cdk.App(outdir=str(outdir), context={"build_dir": str(build_dir), "github_repo": GITHUB_REPO, **context})
    return app, build(app, account, region)


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    build_dir = placeholder_build(tmp_path_factory.mktemp("build"))
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stacks = make_app(build_dir, outdir)
    app.synth()  # fails with ValidationFailed on any cdk-nag finding that is not acknowledged
    yield Synth(outdir, stacks, {name: Template.from_stack(stack) for name, stack in stacks.items()}, build_dir)


@pytest.fixture(scope="session")
def pinned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    """The app as a real deploy synthesizes it: the CLI found credentials, so account and region are set."""
    build_dir = placeholder_build(tmp_path_factory.mktemp("build-pinned"))
    outdir = tmp_path_factory.mktemp("cdk.out-pinned")
    app, stacks = make_app(build_dir, outdir, ACCOUNT, REGION)
    app.synth()  # cdk-nag's findings fail it here too
    yield Synth(outdir, stacks, {name: Template.from_stack(stack) for name, stack in stacks.items()}, build_dir)
