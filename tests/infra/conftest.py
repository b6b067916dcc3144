"""One real synthesis of the whole CDK app per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from infra.app import build  # noqa: E402
from tests.infra.cfn import Synth  # noqa: E402


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    layer = tmp_path_factory.mktemp("layer")
    (layer / "python").mkdir()
    (layer / "python" / "placeholder.txt").write_text("the real layer is built by infra/build-layer.sh\n")
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir), context={"layer_dir": str(layer)})
    stacks = build(app)
    app.synth()
    yield Synth(outdir, stacks, {name: Template.from_stack(stack) for name, stack in stacks.items()})
