"""The processes of one `bench.world` measurement: the emulator, the latency proxy, `covid-etl up`.

The emulator is moto's server with the project's fixes, started by the same `start_emulator` that
`covid-etl up` (`make run`) runs, but in a process of its own, so that `up` and its workers can be
pointed at it through `AWS_ENDPOINT_URL`, directly (loopback) or through `bench.delay_proxy` (the
AWS-latency profile). `up` then uses that emulator as it would LocalStack's: the same workers, the
same API, no saved state to restore or save between runs. The baseline writes to the same emulator
through the same endpoint.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3

from bench.pipeline import ROOT, Stack, free_port

EMULATOR = """
import threading
from covid_etl.local.emulator import settle, start_emulator
server, endpoint = start_emulator()
settle()
print(endpoint, flush=True)
threading.Event().wait()
"""


class Child:
    """A helper process that prints its endpoint on its first line and serves until stopped."""

    def __init__(self, cmd: list[str]) -> None:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.endpoint = self.proc.stdout.readline().strip()
        if not self.endpoint.startswith("http://"):
            self.stop()
            raise RuntimeError(f"{cmd[:3]} did not start")

    def peak_mb(self) -> float:
        return vm_hwm_mb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Endpoint:
    """The emulator, and the endpoint the profile's clients use: the emulator's, or a proxy's before it."""

    def __init__(self, delay_ms: float) -> None:
        self.emulator = Child([sys.executable, "-c", EMULATOR])
        self.proxy = Child([sys.executable, "-m", "bench.delay_proxy", self.emulator.endpoint, str(delay_ms)]) \
            if delay_ms else None
        self.url = self.proxy.endpoint if self.proxy else self.emulator.endpoint

    def counts(self, reset: bool = True) -> dict[str, Any] | None:
        """What the proxy counted since the last reset (None without a proxy)."""
        if self.proxy is None:
            return None
        with urllib.request.urlopen(f"{self.url}/__bench__/counts{'?reset=1' if reset else ''}", timeout=10) as r:
            return dict(json.loads(r.read()))

    def stop(self) -> None:
        for child in (self.proxy, self.emulator):
            if child is not None:
                child.stop()


class WorldStack(Stack):
    """`covid-etl up` on `endpoint` (bench.pipeline's Stack otherwise: runs, ledger records, stop)."""

    def __init__(self, base: str, work: Path, endpoint: str, timeout: float = 900) -> None:
        self.work, self.port = work, free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COVID_ETL_"))}
        env.update(COVID_ETL_NYT_URL=f"{base}/nyt.csv", COVID_ETL_JHU_URL=f"{base}/jhu.csv",
                   COVID_ETL_LOOKUP_URL=f"{base}/lookup.csv", COVID_ETL_SCHEDULE_SECONDS="86400",
                   AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION="us-east-1")
        self.env, self.log = env, work / "up.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "covid_etl.cli", "up", "--port", str(self.port)],
                                         cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        state = work / ".covid-etl" / "stack.json"
        deadline = time.monotonic() + timeout
        while not state.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"covid-etl up did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        time.sleep(0.2)
        self.saved = json.loads(state.read_text())
        self.endpoint, self.table_name = self.saved["endpoint"], self.saved["env"]["COVID_ETL_TABLE"]
        self.table = boto3.resource("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                                    aws_access_key_id="testing", aws_secret_access_key="testing").Table(
                                        self.table_name)

    def transformer_peak_mb(self) -> float:
        """The transformer worker's peak RSS so far (VmHWM of the process `up` started for it)."""
        return vm_hwm_mb(int(self.saved["workers"]["transformer"]))

    def region_ids(self) -> list[str]:
        """The loaded regions' ids: the catalogue item (docs/regions.md) when the loader wrote one, else US."""
        item = self.table.get_item(Key={"pk": "meta", "sk": "regions"}, ConsistentRead=True).get("Item")
        return sorted(item["regions"]) if item and item.get("regions") else ["US"]


def vm_hwm_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
