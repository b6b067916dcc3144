"""A code asset per service, layers by need, and what a change to one service redeploys."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from infra.sizes import sizes
from infra.stacks.assets import LAYERS, LAYERS_BY_SERVICE, layer_dir, stage_code
from tests.infra.cfn import Synth
from tests.infra.conftest import make_app, placeholder_build

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("extractor", "transformer", "loader", "notifier", "api")
MB = 1_000_000


def code_keys(outdir: Path) -> dict[str, str]:
    """Each pipeline function's code asset (its S3 key: the hash of its folder), by service."""
    keys = {}
    for template in outdir.glob("*.template.json"):
        for resource in json.loads(template.read_text())["Resources"].values():
            name = resource["Properties"].get("FunctionName", "")
            if resource["Type"] == "AWS::Lambda::Function" and name.removeprefix("covid-etl-") in FUNCTIONS:
                keys[name.removeprefix("covid-etl-")] = resource["Properties"]["Code"]["S3Key"]
    return keys


def layer_names(synth: Synth, stack: str) -> set[str]:
    resources = synth.json(stack)["Resources"]
    (function,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"
                   and r["Properties"].get("FunctionName") == f"covid-etl-{stack}"]
    layers = function["Properties"]["Layers"]
    return {resources[layer["Ref"]]["Properties"]["Description"].split()[1] for layer in layers}


def test_one_code_asset_per_service_holding_shared_and_that_service(synth: Synth) -> None:
    keys = code_keys(synth.outdir)
    assert set(keys) == set(FUNCTIONS) and len(set(keys.values())) == len(FUNCTIONS)
    for service in FUNCTIONS:
        staged = synth.build_dir / "lambda" / service
        assert sorted(p.name for p in staged.iterdir()) == ["services", "shared"]
        assert sorted(p.name for p in (staged / "services").iterdir()) == ["__init__.py", service]
        entry = "lambda_function.py" if service == "api" else "main.py"  # main.py: the service's declaration
        assert (staged / "services" / service / entry).is_file()
        assert (staged / "shared" / "runtime" / "lambda_entry.py").is_file()
        assert not list(staged.rglob("__pycache__"))


@pytest.mark.parametrize("service", FUNCTIONS)
def test_each_function_has_the_layers_it_needs(synth: Synth, service: str) -> None:
    stack = service
    assert layer_names(synth, stack) == set(LAYERS_BY_SERVICE[service])


def test_a_change_to_the_notifier_changes_its_asset_hash_only(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for package in ("shared", "services"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    build_dir = placeholder_build(tmp_path / "build")

    def synth_keys(name: str) -> dict[str, str]:
        app, _ = make_app(build_dir, tmp_path / name, source_root=str(source))
        app.synth()
        return code_keys(tmp_path / name)

    before = synth_keys("before")
    handler = source / "services" / "notifier" / "handler.py"
    handler.write_text(handler.read_text() + "\n# an edit to the notifier only\n")
    after = synth_keys("after")
    assert {s for s in FUNCTIONS if before[s] != after[s]} == {"notifier"}
    shared = source / "shared" / "errors.py"
    shared.write_text(shared.read_text() + "\n# an edit to shared/\n")
    assert {s for s, key in synth_keys("shared").items() if key != after[s]} == set(FUNCTIONS)


def test_zipped_sizes_of_code_and_layers(tmp_path: Path) -> None:
    """With the real layers (`make lambda-layer`, which `make test` runs first)."""
    build = ROOT / "build"
    missing = [n for n in LAYERS if not (layer_dir(build, n) / ".built").is_file()]
    assert not missing, f"layers {missing} are not built: run `make lambda-layer` (make test does)"
    staged = tmp_path / "build"
    for service in FUNCTIONS:
        stage_code(ROOT, staged, service)
    (staged / "layers").symlink_to(build / "layers")
    table = sizes(staged)
    for service, row in table.items():
        print(f"{service}: {row}")
        assert row["unzipped"] < 250 * 1024 * 1024, service  # Lambda's limit for code and layers
        if service != "transformer":
            assert row["total"] < 10 * MB, f"{service}: {row['total'] / MB:.1f} MB zipped with its layers"
    assert table["transformer"]["data"] > 10 * MB  # pandas and numpy: the one function that needs them


IMPORT_ALONE = """
import importlib.util, sys
code, site, service, *others = sys.argv[1:]
sys.path[:0] = [code, site]  # -S: no site, so not the repository's editable install either
import os
os.environ["COVID_ETL_SERVICE"] = service  # what the function's environment names
entry = "services.api.lambda_function" if service == "api" else "shared.runtime.lambda_entry"
module = __import__(entry, fromlist=["handler"])
assert module.__file__.startswith(code), module.__file__
assert service == "api" or sys.modules[f"services.{service}.main"].__file__.startswith(code)
assert callable(module.handler)
if service == "api":
    module.app()  # the Flask app and its routes, imported lazily
found = [o for o in others if importlib.util.find_spec(f"services.{o}")]
assert not found, f"other services are importable: {found}"
"""


@pytest.mark.parametrize("service", FUNCTIONS)
def test_each_function_imports_from_its_own_asset_alone(synth: Synth, service: str, tmp_path: Path) -> None:
    """Python without the repository on its path: only the staged folder, and the third-party packages."""
    code = synth.build_dir / "lambda" / service
    others = [o for o in FUNCTIONS if o != service]
    result = subprocess.run([sys.executable, "-S", "-c", IMPORT_ALONE, str(code), sysconfig.get_paths()["purelib"],
                             service, *others],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
