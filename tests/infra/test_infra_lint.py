"""cfn-lint on every synthesized template, without an environment and pinned to one (errors fail;
CDK's W3005 warnings do not)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.infra.cfn import Synth


@pytest.mark.parametrize("which", ["synth", "pinned"])
def test_templates_pass_cfn_lint(which: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(which)
    templates = sorted(synth.outdir.glob("*.template.json"))
    assert len(templates) == 7  # data, four services, api, ci
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), "--non-zero-exit-code", "error", *map(str, templates)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
