"""The Lambda layers' requirements: pinned as in requirements.lock, and each function's layers enough for it."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from infra.config import InfraConfig
from infra.stacks.assets import LAYERS, LAYERS_BY_SERVICE
from shared.topology import SERVICES

ROOT = Path(__file__).resolve().parents[2]
# a pipeline function runs the generic entry, which loads its service's declaration by name
ENTRYPOINTS = [*(spec.module for spec in SERVICES), "services.api.lambda_function"]
GENERIC_ENTRY = "shared.runtime.lambda_entry"
# Imported only inside shared.aws.async_session, which the container worker calls, never a Lambda.
CONTAINER_ONLY = {"aiobotocore"}
RUNTIME_PROVIDED = {"boto3", "botocore"}  # the Lambda Python runtime's own (docs/decisions.md)
LAYER_FILES = {name: ROOT / "infra" / "layers" / f"{name}.txt" for name in LAYERS}


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[name.lower().replace("_", "-")] = version
    return found


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` but those under `if TYPE_CHECKING:` (imported by type checkers only)."""
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))
    return found


def imports(module: str) -> set[str]:
    """Top-level names of every module that the entrypoint can import (lazy imports included)."""
    seen, todo, external = set(), [module], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = ROOT / (name.replace(".", "/") + ".py")
        if not path.is_file():
            path = ROOT / name.replace(".", "/") / "__init__.py"
        if not path.is_file():
            continue
        for node in runtime_nodes(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names += [f"{node.module}.{a.name}" for a in node.names]
            for full in names:
                top = full.split(".")[0]
                if top in ("shared", "services"):
                    todo.append(full)
                elif top not in sys.stdlib_module_names and top != "__future__":
                    external.add(top)
    return external


def test_layer_pins_are_the_lockfile_pins() -> None:
    lock = pins(ROOT / "requirements.lock")
    for name, path in LAYER_FILES.items():
        layer = pins(path)
        assert layer and {n: lock.get(n) for n in layer} == layer, name
        assert not {"moto", "gunicorn", "aiobotocore", "boto3", "botocore"} & set(layer), name


def test_layers_by_need() -> None:
    data, web = set(pins(LAYER_FILES["data"])), set(pins(LAYER_FILES["web"]))
    assert {"pandas", "numpy"} <= data and "flask" in web
    assert [s for s, names in LAYERS_BY_SERVICE.items() if "data" in names] == ["transformer"]
    assert [s for s, names in LAYERS_BY_SERVICE.items() if "web" in names] == ["api"]


@pytest.mark.parametrize("entrypoint", ENTRYPOINTS)
def test_layers_provide_what_the_entrypoint_imports(entrypoint: str) -> None:
    service = entrypoint.split(".")[1]
    layer = {n for name in LAYERS_BY_SERVICE[service] for n in pins(LAYER_FILES[name])}
    distributions = packages_distributions()
    walked = imports(entrypoint) | (imports(GENERIC_ENTRY) if entrypoint.endswith(".main") else set())
    needed = walked - CONTAINER_ONLY - RUNTIME_PROVIDED
    assert needed, "no third-party import found: the walk is broken"
    missing = {top for top in needed
               if not {d.lower().replace("_", "-") for d in distributions.get(top, [top])} & layer}
    assert not missing, f"{entrypoint} imports {missing}, which its layers {LAYERS_BY_SERVICE[service]} lack"


def test_config_refuses_missing_layers(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="make lambda-layer"):
        InfraConfig.from_context({"build_dir": str(tmp_path)}.get)


def test_config_names_come_from_the_prefix(tmp_path: Path) -> None:
    for name in LAYERS:
        (tmp_path / "layers" / name / "python").mkdir(parents=True)
    config = InfraConfig.from_context({"build_dir": str(tmp_path), "prefix": "acme-covid", "schedule": "false",
                                       "max_receive_count": "3", "stage": "prod"}.get)
    assert config.resources.queue("loader") == "acme-covid-loader" and config.resources.bucket == "acme-covid-data"
    assert config.resources.max_receive_count == 3 and config.schedule is False and config.prod
    with pytest.raises(SystemExit, match="stage"):
        InfraConfig.from_context({"build_dir": str(tmp_path), "stage": "staging"}.get)
