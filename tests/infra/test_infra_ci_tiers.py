"""Under CI=true a tier that cannot run fails, in the Makefile's install targets and in the tests'
skip decisions; elsewhere it is skipped with its reason. The real snapshots: skipped only when declared."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import tiers

ROOT = Path(__file__).resolve().parents[2]


def make(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "COVID_ETL_CHROMIUM", "MAKEFLAGS")}
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**base, **env})


def test_a_browser_that_is_not_there_fails_make_under_ci_only() -> None:
    strict = make("browser", CI="true", COVID_ETL_CHROMIUM="/nonexistent/chrome")
    assert strict.returncode != 0 and "CI=true: COVID_ETL_CHROMIUM=/nonexistent/chrome" in strict.stderr
    lenient = make("browser", COVID_ETL_CHROMIUM="/nonexistent/chrome")
    assert lenient.returncode == 0 and "those tests will be skipped" in lenient.stdout


def test_no_python_for_localstack_fails_make_under_ci_only() -> None:
    # -W: the stamp's recipe runs whatever its age; with no Python found it installs and touches nothing.
    target = ["-W", "requirements-localstack.lock", ".venv-localstack/.installed", "LOCALSTACK_PY="]
    strict = make(*target, CI="true")
    assert strict.returncode != 0 and "CI=true: No Python >= 3.13" in strict.stderr
    assert make(*target).returncode == 0


def test_every_cannot_install_message_of_the_makefile_goes_through_the_ci_check() -> None:
    text = (ROOT / "Makefile").read_text()
    assert "will be skipped" not in text.replace('those tests will be skipped."; }', "")
    assert text.count("$(call cannot,") >= 5  # localstack, java, npm, the browser (two ways)


def test_unavailable_skips_here_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no browser"):
        tiers.unavailable("no browser")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true.*no browser"):
        tiers.unavailable("no browser")


def test_missing_real_data_is_skipped_in_ci_only_when_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("COVID_ETL_NO_REAL_DATA", raising=False)
    with pytest.raises(pytest.fail.Exception, match="COVID_ETL_NO_REAL_DATA=1"):
        tiers.no_real_data("no snapshots")
    monkeypatch.setenv("COVID_ETL_NO_REAL_DATA", "1")
    with pytest.raises(pytest.skip.Exception):
        tiers.no_real_data("no snapshots")
    monkeypatch.delenv("CI")
    monkeypatch.delenv("COVID_ETL_NO_REAL_DATA")
    with pytest.raises(pytest.skip.Exception):
        tiers.no_real_data("no snapshots")


@pytest.mark.parametrize("path", ["tests/browser/conftest.py", "tests/browser/test_quality.py",
                                  "tests/localstack/conftest.py", "tests/localstack/test_handlers_from_assets.py",
                                  "tests/api/test_realdata.py", "tests/e2e/test_pipeline.py",
                                  "tests/unit/test_jhu_fast.py"])
def test_the_tiers_skip_only_through_the_ci_check(path: str) -> None:
    text = (ROOT / path).read_text()
    assert "pytest.skip(" not in text and "skipif(" not in text, path
    assert "unavailable(" in text or "no_real_data(" in text, path
