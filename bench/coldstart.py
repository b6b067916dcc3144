"""Cold start: each Lambda entrypoint's import in a fresh process, on Python 3.12 (Lambda's runtime).

A Python 3.12 is found on PATH or in pyenv (never a fixed path); `.venv-bench312` gets the runtime
lockfile, its packages compiled as the Lambda layers ship them (`infra/build-layer.sh`), the project's
code not (as in the functions' code assets). Each sample is one new process that imports boto3 first,
then the entrypoint, and prints both times: the figure is the entrypoint's import beyond boto3's.
Median of REPEAT processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path

from shared.topology import QUEUES

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-bench312"
REPEAT = max(5, int(os.environ.get("BENCH_REPEAT", "5")))
# the pipeline services share one entry, which loads the service COVID_ETL_SERVICE names
ENTRYPOINTS = {**{name: "shared.runtime.lambda_entry" for name in QUEUES}, "api": "services.api.lambda_function"}
PROBE = """
import json, sys, time
t0 = time.perf_counter(); import boto3; t1 = time.perf_counter()
__import__(sys.argv[1]); t2 = time.perf_counter()
print(json.dumps({"boto3": t1 - t0, "entry": t2 - t1}))
"""
# what a Lambda's environment gives the entrypoint at import (names only; nothing is called)
LAMBDA_ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
              "COVID_ETL_BUCKET": "b", "COVID_ETL_TABLE": "t", "COVID_ETL_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t",
              "AWS_LAMBDA_FUNCTION_NAME": "bench"}


def python312() -> str | None:
    """A Python 3.12 that runs: python3.12 on PATH (not a pyenv shim that refuses), else pyenv's."""
    candidates = [shutil.which("python3.12")]
    if shutil.which("pyenv"):
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
        for version in (v for v in versions if v.startswith("3.12")):
            prefix = subprocess.run(["pyenv", "prefix", version], capture_output=True, text=True).stdout.strip()
            candidates.append(f"{prefix}/bin/python3")
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"],
                               capture_output=True)
        if probe.returncode == 0:
            return candidate
    return None


def venv() -> Path | None:
    python, stamp = VENV / "bin" / "python", VENV / ".installed"
    lock = hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest() + " compiled"
    if stamp.is_file() and stamp.read_text() == lock:
        return python
    base = python312()
    if base is None:
        return None
    # uv inside the venv, plain pip where uv cannot be had (as `make` installs)
    install = ROOT / "tools" / "venv-install.sh"
    subprocess.run([str(install), str(VENV), str(base), "-r", str(ROOT / "requirements.lock")], check=True)
    # compiled as the layers are (infra/build-layer.sh) and as the runtime's boto3 is; the project's own
    # code is not (PYTHONDONTWRITEBYTECODE below), as the functions' code assets are not
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([str(python), "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", site],
                   check=False, capture_output=True)
    stamp.write_text(lock)
    return python


def sample(python: Path, module: str, service: str) -> dict[str, float]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COVID_ETL_"))}, **LAMBDA_ENV,
           "COVID_ETL_SERVICE": service, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([str(python), "-c", PROBE, module], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def measure() -> list[dict[str, object]]:
    python = venv()
    if python is None:
        print("no Python 3.12 found (PATH or pyenv): cold start not measured")
        return []
    version = subprocess.run([str(python), "-V"], capture_output=True, text=True).stdout.strip()
    rows: list[dict[str, object]] = []
    for name, module in ENTRYPOINTS.items():
        sample(python, module, name)  # a first import, so that the file cache is warm for all
        samples = [sample(python, module, name) for _ in range(REPEAT)]
        rows.append({"what": name, "python": version, "entry": statistics.median(s["entry"] for s in samples),
                     "boto3": statistics.median(s["boto3"] for s in samples), "load": os.getloadavg()[0]})
    return rows


def main() -> int:
    from bench import results

    results.save("coldstart", measure())
    return 0
