"""The fault suites' stack: moto as its own process, the fault proxy in front of it, `covid-etl up`.

    with faulty_stack(tmp_path, sources, COVID_ETL_VISIBILITY_TIMEOUT_S="5") as (stack, proxy, moto):

`sources` is anything with `url(name)`: the e2e SourceServer or BadSources.
        ...

The workers reach AWS only through the proxy; the test reads the emulator directly, so a fault
never bends what the test sees. `moto.pause()` / `resume()` SIGSTOP / SIGCONT the emulator alone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from support.stack import FINAL, Stack, clean_env, free_port

from shared.topology import QUEUES
from support_faults.proxy import FaultProxy


class Emulator:
    """`python -m moto.server` on a free port, as a process of its own."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with open(log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                             "-p", str(self.port)], stdout=out, stderr=out, env=clean_env())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2).close()
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("moto server did not start")

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.resume()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


class FaultStack(Stack):
    """The e2e harness's stack, reading the emulator directly instead of through the proxy."""

    direct = ""

    @property
    def endpoint(self) -> str:
        return self.direct or self.state["endpoint"]

    def pids(self, service: str) -> list[int]:
        """Pids of this stack's processes running `python -m shared.runtime <service>` (from /proc)."""
        assert self.process is not None
        group, found = os.getpgid(self.process.pid), []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmd = (entry / "cmdline").read_bytes().split(b"\0")
                if b"shared.runtime" in cmd and service.encode() in cmd and os.getpgid(int(entry.name)) == group:
                    found.append(int(entry.name))
            except (OSError, ProcessLookupError):
                continue
        return found

    def restarts(self) -> list[str]:
        """The supervisor's 'exited ...; restarting it' lines so far."""
        text = (self.folder / "up.log").read_text(errors="replace")
        return [line for line in text.splitlines() if "restarting it" in line]

    def wait_run(self, run_id: str, timeout: float = 90) -> dict[str, Any]:
        def ended() -> dict[str, Any] | None:
            run = next((r for r in self.runs() if r["sk"] == run_id), None)
            return run if run and run.get("status") in FINAL else None
        try:
            return self._wait(ended, timeout, f"run {run_id} did not end")
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{self.logs()}") from None

    def stage_status(self, run_id: str, stage: str) -> str | None:
        run: dict[str, Any] = next((r for r in self.runs() if r["sk"] == run_id), {})
        return (run.get(f"stage_{stage}") or {}).get("status")

    def trigger(self) -> str:
        """`covid-etl run` without waiting; returns the run id."""
        import json

        done = self.cli("run", "--json")
        assert done.returncode == 0, done.stderr
        return str(json.loads(done.stdout.strip().splitlines()[-1])["run_id"])

    def idle(self, timeout: float = 30) -> None:
        """Wait until no queue holds a message, visible or in flight."""
        sqs = self.client("sqs")
        urls = [self.setting(f"COVID_ETL_{q.upper()}_QUEUE_URL") for q in QUEUES]

        def empty() -> bool:
            for url in urls:
                got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
                if any(int(v) for v in got.values()):
                    return False
            return True
        self._wait(empty, timeout, "the queues did not drain")

    def dead_letters(self, queue: str) -> int:
        url = self.setting(f"COVID_ETL_{queue.upper()}_DLQ_URL")
        got = self.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return int(got["Attributes"]["ApproximateNumberOfMessages"])

    def log_lines(self, service: str, text: str, run_id: str) -> int:
        path = self.folder / ".covid-etl" / "logs" / f"{service}.log"
        return sum(1 for line in path.read_text(errors="replace").splitlines() if text in line and run_id in line)

    def spawn_worker(self, service: str) -> subprocess.Popen[bytes]:
        """One more worker of `service`, outside the supervisor, with the stack's settings."""
        env = {**clean_env(), **self.state["env"]}
        with open(self.folder / f"extra-{service}.log", "ab") as log:
            return subprocess.Popen([sys.executable, "-m", "shared.runtime", service], cwd=self.folder, env=env,
                                    stdout=log, stderr=log)


@contextlib.contextmanager
def faulty_stack(folder: Path, sources: Any, **settings: str) -> Iterator[tuple[FaultStack, FaultProxy,
                                                                                         Emulator]]:
    folder.mkdir(parents=True, exist_ok=True)
    moto = Emulator(folder / "moto.log")
    proxy = None
    try:
        proxy = FaultProxy(moto.url)
        stack = FaultStack.up(folder / "stack", sources.url("nyt.csv"), sources.url("jhu.csv"),
                              AWS_ENDPOINT_URL=proxy.url, **settings)
        stack.direct = moto.url
        try:
            yield stack, proxy, moto
        finally:
            proxy.clear()
            stack.stop()
    finally:
        if proxy is not None:
            proxy.stop()
        moto.stop()
