"""Each function's own code asset, and the dependency layers it needs.

A function's code is `shared/` plus its own service, staged under `<build>/lambda/<service>/`
(so a change to one service changes that function's asset hash only). Third-party packages come
in layers by need, built by `make lambda-layer` into `<build>/layers/<name>/python`:
`base` (pydantic, Powertools, tenacity) for every function, `data` (pandas, numpy) for the
transformer, `web` (Flask) for the API. boto3 is the Lambda runtime's own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from shared.topology import FUNCTIONS

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64
LAYERS = ("base", "data", "web")
LAYERS_BY_SERVICE = {spec.name: spec.layers for spec in FUNCTIONS}  # declared in shared/topology.py
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def stage_code(source_root: Path, build_dir: Path, service: str) -> Path:
    """`<build>/lambda/<service>/`: `shared/`, `services/__init__.py` and `services/<service>/`."""
    out = build_dir / "lambda" / service
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source_root / "shared", out / "shared", ignore=IGNORE)
    (out / "services").mkdir()
    shutil.copy2(source_root / "services" / "__init__.py", out / "services" / "__init__.py")
    shutil.copytree(source_root / "services" / service, out / "services" / service, ignore=IGNORE)
    return out


def layer_dir(build_dir: Path, name: str) -> Path:
    return build_dir / "layers" / name


def missing_layers(build_dir: Path) -> list[str]:
    return [name for name in LAYERS if not (layer_dir(build_dir, name) / "python").is_dir()]


class Assets:
    """Stages code once per synth; makes each layer once per stack that uses it."""

    def __init__(self, source_root: Path, build_dir: Path) -> None:
        self.source_root, self.build_dir = source_root, build_dir
        self._code: dict[str, Path] = {}

    def code(self, service: str) -> lambda_.Code:
        if service not in self._code:
            self._code[service] = stage_code(self.source_root, self.build_dir, service)
        return lambda_.Code.from_asset(str(self._code[service]))

    def layers(self, scope: Construct, service: str) -> list[lambda_.ILayerVersion]:
        return [self.layer(scope, name) for name in LAYERS_BY_SERVICE[service]]

    def layer(self, scope: Construct, name: str) -> lambda_.ILayerVersion:
        stack = cdk.Stack.of(scope)
        found = stack.node.try_find_child(f"Layer-{name}")
        if isinstance(found, lambda_.LayerVersion):
            return found
        return lambda_.LayerVersion(
            stack, f"Layer-{name}", code=lambda_.Code.from_asset(str(layer_dir(self.build_dir, name))),
            compatible_runtimes=[RUNTIME], compatible_architectures=[ARCHITECTURE],
            description=f"covid-etl {name} dependencies (infra/layers/{name}.txt)",
        )
