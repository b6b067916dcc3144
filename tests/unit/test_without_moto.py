"""The product without the embedded emulator: moto is an optional dependency (`covid-etl[local]`).

Every module of `shared/`, `services/` and `covid_etl/` but `covid_etl.local` imports without moto
and without the local stack's package; the CLI imports without werkzeug either. `up` alone refuses
to start the emulator on another moto or werkzeug than its fixes were written for."""

from __future__ import annotations

import re
import signal
import tomllib
from pathlib import Path

import pytest

from covid_etl import cli
from covid_etl.local import emulator
from tests.support.without import EMULATOR, ROOT, python_without

CLI_THEN_MOTO = """
from covid_etl import cli
cli.parser().parse_args(["status", "--json"])
print("cli")
try:
    import moto
except ModuleNotFoundError:
    print("no moto")  # the blocker works
"""
PRODUCT_MODULES = """
import importlib, pkgutil
for package in ("shared", "services", "covid_etl"):
    for module in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        # lambda_entry builds the function's service from COVID_ETL_SERVICE as it is imported
        if module.name.startswith("covid_etl.local") or module.name.endswith(("__main__", "lambda_entry")):
            continue
        importlib.import_module(module.name)
        print(module.name)
"""


def test_the_cli_imports_without_the_emulator() -> None:
    done = python_without(EMULATOR, CLI_THEN_MOTO)
    assert (done.returncode, done.stdout.split()) == (0, ["cli", "no", "moto"]), done.stderr[-3000:]


def test_no_product_module_needs_moto_or_the_local_stack() -> None:
    done = python_without(("moto", "covid_etl.local"), PRODUCT_MODULES)
    assert done.returncode == 0, done.stderr[-3000:]
    imported = done.stdout.split()
    assert {"covid_etl.cli", "covid_etl.status", "covid_etl.replay", "services.api.app",
            "services.loader.handler", "shared.runtime.worker"} <= set(imported)


def test_the_versions_are_the_ones_the_fixes_were_written_for() -> None:
    written_for = dict(emulator.WRITTEN_FOR)
    emulator.check_versions(written_for.__getitem__)
    with pytest.raises(emulator.WrongVersion) as wrong:
        emulator.check_versions({**written_for, "moto": "5.3.0"}.__getitem__)
    assert str(wrong.value) == (f"the embedded emulator's patches were written for moto {written_for['moto']}; "
                                "found 5.3.0: install requirements-local.lock (make run does)")

    def not_installed(package: str) -> str:
        if package == "werkzeug":
            raise emulator.metadata.PackageNotFoundError(package)
        return written_for[package]

    with pytest.raises(emulator.WrongVersion, match="written for werkzeug .*; found none: install"):
        emulator.check_versions(not_installed)


def test_the_pins_are_the_versions_the_fixes_were_written_for() -> None:
    """One version each, in three places: the check, pyproject's `local` extra and requirements-local.lock."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = {}
    for pin in project["optional-dependencies"]["local"]:
        name, version = re.sub(r"\[.*\]", "", pin).split("==")
        extra[name] = version
    lock = dict(line.lower().split("==") for line in (ROOT / "requirements-local.lock").read_text().split()
                if "==" in line)
    assert "moto" not in str(project["dependencies"])
    assert extra == emulator.WRITTEN_FOR == {name: lock[name] for name in emulator.WRITTEN_FOR}


def test_up_on_another_moto_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setitem(emulator.WRITTEN_FOR, "moto", "0.0.1")
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert cli.main(["up", "--port", "0"]) == 1
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    err = capsys.readouterr().err
    assert "the embedded emulator's patches were written for moto 0.0.1; found " in err, err
    assert "install requirements-local.lock (make run does)" in err
