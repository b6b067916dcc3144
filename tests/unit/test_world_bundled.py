"""The bundled lookup table ships with the transformer: in its Lambda asset, in its image and in the
package, and the shipped transformer finds it (it is what keeps region ids stable without a download)."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from infra.stacks.assets import stage_code
from services.transformer.lookup import BUNDLED, BUNDLED_COMMIT, bundled

ROOT = Path(__file__).resolve().parents[2]
SHA256 = "0c3b9153e3aa6455b8c6e2ce3c6ee0df8c95488ab26ba7d4e2afe765cbed346d"  # ../shared/data/README.md


def test_the_bundled_table_is_the_credited_snapshot() -> None:
    assert hashlib.sha256(BUNDLED.read_bytes()).hexdigest() == SHA256
    credit = (BUNDLED.parent / "README.md").read_text()
    assert "CC BY 4.0" in credit and BUNDLED_COMMIT in credit and "Johns Hopkins University" in credit
    assert len(bundled()) == 828  # its rows without Admin2
    assert bundled()[("France", "")].iso2 == "FR"


def test_the_lambda_asset_carries_it_and_the_staged_transformer_finds_it(tmp_path: Path) -> None:
    staged = stage_code(ROOT, tmp_path, "transformer")
    child = ("import json; from services.transformer.lookup import BUNDLED, bundled; "
             "print(json.dumps([str(BUNDLED), len(bundled())]))")
    env = {**os.environ, "PYTHONPATH": str(staged)}
    out = subprocess.run([sys.executable, "-c", child], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True).stdout
    path, rows = json.loads(out)
    assert Path(path).is_relative_to(staged) and rows == 828


def test_the_package_data_names_it() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    folder = ROOT / "services" / "transformer"
    for shipped in (BUNDLED, BUNDLED.parent / "README.md"):
        relative = shipped.relative_to(folder).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in declared["services.transformer"]), relative


def test_the_image_copies_the_transformer_folder_whole() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stage = dockerfile.split("AS transformer", 1)[1].split("\nFROM ", 1)[0]
    assert "COPY services/transformer ./services/transformer" in stage
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    assert "!services/" in ignored
    excluded = [p for p in ignored if not p.startswith("!") and p != "*"]
    relative = BUNDLED.relative_to(ROOT).as_posix()
    assert not any(fnmatch.fnmatch(relative, p) or fnmatch.fnmatch(BUNDLED.name, p) for p in excluded), excluded
