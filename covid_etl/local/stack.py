"""`covid-etl up`: the whole system on one machine.

Starts moto's server on 127.0.0.1 (unless AWS_ENDPOINT_URL points at a running emulator such as
LocalStack), provisions every resource, starts the four workers as separate processes and the read
API under gunicorn, triggers a first run, and writes `.covid-etl/stack.json` so that `covid-etl run`
in another shell finds the stack. Supervises the processes (a dead worker is restarted) and fires
the daily schedule itself, since the embedded emulator never fires EventBridge schedules. It prints
each run that ends when the run's announcement reaches its own queue on the topic (`covid_etl.local.watch`).
The embedded emulator's table and bucket survive a clean stop (`covid_etl.local.state`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from covid_etl.local.watch import AnnouncementQueue, RunEndWatch
from covid_etl.resources import provision
from covid_etl.stackfile import STATE_DIR, state_file
from covid_etl.trigger import trigger
from shared.ledger import RunLedger
from shared.settings import Settings
from shared.sources import offline_recipe, source
from shared.topology import QUEUES

LOG_DIR = Path(STATE_DIR) / "logs"
SAVED_DIR = Path(STATE_DIR) / "state"  # the embedded emulator's table and bucket (covid_etl.local.state)
# README.md, "Offline, on local files": what to do when the first run cannot download its sources
LOCAL_FILES_RECIPE = f"""
The first run could not get its sources (above). Without internet, run on local files: stop with
Ctrl-C and start again with the sources pointing at local copies (plain paths, file:// URLs or any
HTTP server), e.g. the snapshots beside this project:

  {offline_recipe().replace(chr(10), chr(10) + "  ")}

(README.md, "Offline, on local files")"""
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                     "AWS_DEFAULT_REGION": "us-east-1"}


class Stack:
    def __init__(self, host: str, port: int, emulator_port: int, schedule_s: float, fresh: bool = False) -> None:
        self.host, self.port, self.emulator_port, self.schedule_s = host, port, emulator_port, schedule_s
        self.fresh = fresh
        self.reported: set[str] = set()  # runs whose end was printed (or restored)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.log_offsets: dict[str, int] = {}  # where each service's log was when it was last started
        self.server: Any = None
        self.watch: RunEndWatch | None = None  # when to read the ledger for ended runs (start)
        self.env: dict[str, str] = {}
        self.stopping = False

    def start(self) -> None:
        state_file().unlink(missing_ok=True)  # left by a stack that was killed: not this one's
        for key, value in DUMMY_CREDENTIALS.items():
            os.environ.setdefault(key, value)
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:
            print(f"using the emulator at {endpoint} (AWS_ENDPOINT_URL)")
        else:  # moto, with the fixes of this package, imported only here (LocalStack's users need none)
            from covid_etl.local.emulator import start_emulator

            self.server, endpoint = start_emulator(self.emulator_port)
            os.environ["AWS_ENDPOINT_URL"] = endpoint
            print(f"embedded AWS emulator (moto) at {endpoint}")
        settings = Settings()
        res = settings.resources
        self.env = {**os.environ, **provision(res), "AWS_ENDPOINT_URL": endpoint,
                    "COVID_ETL_DASHBOARD_URL": settings.dashboard_url or f"http://{self.host}:{self.port}/"}
        os.environ.update(self.env)
        self.watch = RunEndWatch(AnnouncementQueue.subscribe(res, self.env["COVID_ETL_TOPIC_ARN"]))
        if self.server is not None:
            from covid_etl.local.emulator import settle

            self._restore()
            settle()  # the emulator's collector, out of the way of its requests
        self.reported = {run.run_id for run in RunLedger(res.table).recent(10) if run.ended}
        for name in QUEUES:
            self._spawn(name)
        self._spawn("api")
        self._wait_for_workers()
        run_id = trigger(self.env, "startup")  # while the API starts
        self._wait_for_api()
        api = f"http://{self.host}:{self.port}"
        self._write_state_file()
        sources = "\n".join(f"  {'sources' if i == 0 else '':<14} {name}: {url}"
                             f"{'' if source(name).required else ' (optional)'}"
                             for i, (name, url) in enumerate(settings.source_urls.items()))
        print(f"""
covid-etl is up
  dashboard      {api}/
  API            {api}/api/v1/daily   {api}/healthz
  AWS endpoint   {endpoint}  (table {res.table}, bucket {res.bucket}, topic {res.topic})
  workers        {', '.join(f'{n} (pid {self.procs[n].pid})' for n in QUEUES)}
  logs           {LOG_DIR}/<service>.log (JSON lines, with the run id on each)
  first run      {run_id}   follow it: covid-etl runs
{sources}
Trigger a run with `covid-etl run --wait`; stop with Ctrl-C.""", flush=True)

    def _write_state_file(self) -> None:
        """`.covid-etl/stack.json`: how the CLI in another shell finds this stack and its processes."""
        path = state_file()
        path.parent.mkdir(exist_ok=True)
        keep = {k: v for k, v in self.env.items() if k.startswith(("COVID_ETL_", "AWS_"))}
        workers = {name: proc.pid for name, proc in self.procs.items()}
        path.write_text(json.dumps({"pid": os.getpid(), "api": f"http://{self.host}:{self.port}",
                                    "endpoint": self.env["AWS_ENDPOINT_URL"], "workers": workers,
                                    "env": keep}, indent=2))

    def _spawn(self, name: str) -> None:
        if name == "api":
            cmd = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{self.host}:{self.port}",
                   "--graceful-timeout", "5", "services.api.app:create_app()"]
        else:
            cmd = [sys.executable, "-m", "shared.runtime", name]
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with open(LOG_DIR / f"{name}.log", "ab") as log:
            self.log_offsets[name] = log.tell()
            self.procs[name] = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=log)

    def _wait_for_workers(self, timeout: float = 30) -> None:
        """Until each worker polls (its clients warmed: `shared.runtime.warm`), so that the startup run
        does not wait in a queue for a worker still importing; after `timeout` the run starts anyway."""
        deadline = time.monotonic() + timeout
        waiting = set(QUEUES)
        while waiting and time.monotonic() < deadline:
            for name in list(waiting):
                with open(LOG_DIR / f"{name}.log", "rb") as log:
                    log.seek(self.log_offsets.get(name, 0))
                    if b"worker polling" in log.read():
                        waiting.discard(name)
            time.sleep(0.05)

    def _wait_for_api(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs["api"].poll() is not None:
                raise SystemExit(f"the API did not start (is port {self.port} in use?)")
            try:
                urllib.request.urlopen(f"http://{self.host}:{self.port}/healthz", timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise SystemExit("the API did not answer within 60 s")

    def supervise(self) -> None:
        next_run = time.monotonic() + self.schedule_s
        ledger, reported, watch = RunLedger(self.env["COVID_ETL_TABLE"]), self.reported, self.watch
        assert watch is not None, "start() first"
        while not self.stopping:
            if watch.wait(1):  # a run's announcement arrived, or a while passed without one
                ended = len(reported)
                reported = self._report_runs(ledger, reported)
                if len(reported) > ended:
                    self._save()  # so that a crash of this process loses no ended run
            for name, proc in list(self.procs.items()):
                if proc.poll() is not None and not self.stopping:
                    print(f"{name} exited with {proc.returncode}; restarting it", flush=True)
                    self._spawn(name)
                    self._write_state_file()
            if time.monotonic() >= next_run:
                try:
                    trigger(self.env, "schedule")
                    next_run = time.monotonic() + self.schedule_s
                except Exception as error:  # the emulator is busy or restarting: try again shortly
                    print(f"could not trigger the scheduled run ({error}); retrying in 30 s", flush=True)
                    next_run = time.monotonic() + 30

    def _report_runs(self, ledger: RunLedger, reported: set[str]) -> set[str]:
        """Print one line per run that ended since the last look."""
        try:
            runs = ledger.recent(10)
        except Exception:  # the emulator is busy or gone: look again next second
            if self.watch is not None:
                self.watch.look_soon()
            return reported
        for run in reversed(runs):
            if run.ended and run.run_id not in reported:
                reported.add(run.run_id)
                detail = run.error or (f"{run.inserted or 0} inserted, {run.updated or 0} updated, "
                                       f"{run.rows_total or 0} rows")
                every = None if run.error else run.all
                if every and every.regions != 1:  # the line above is the US series' (v1's counts)
                    detail += (f"; every region ({every.regions}): {every.inserted} inserted, "
                               f"{every.updated} updated, {every.rows_total} rows")
                print(f"run {run.run_id} {run.status}: {detail}", flush=True)
                if run.status == "failed" and run.stage == "extract" and run.trigger == "startup":
                    print(LOCAL_FILES_RECIPE, flush=True)
        return reported

    def stop(self, *_: Any) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        self.stopping = True
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        state_file().unlink(missing_ok=True)
        if self.server is not None:
            self._save(final=True)
            self.server.stop()

    def _restore(self) -> None:
        from covid_etl.local import state

        if self.fresh:
            shutil.rmtree(SAVED_DIR, ignore_errors=True)
            print(f"--fresh: starting empty ({SAVED_DIR} deleted)")
            return
        restored = state.restore(SAVED_DIR, self.env["COVID_ETL_TABLE"], self.env["COVID_ETL_BUCKET"])
        if restored:
            print(f"restored {restored.items} table items and {restored.objects} objects from {SAVED_DIR} "
                  "(`covid-etl up --fresh` starts empty)")

    def _save(self, final: bool = False) -> None:
        from covid_etl.local import state

        try:
            saved = state.save(SAVED_DIR, self.env["COVID_ETL_TABLE"], self.env["COVID_ETL_BUCKET"])
        except Exception as error:  # the emulator is busy: the next run's end or the stop saves again
            print(f"could not save the state to {SAVED_DIR}: {error}", flush=True)
            return
        if final:
            print(f"saved {saved.items} table items and {saved.objects} objects to {SAVED_DIR}", flush=True)


def up(host: str, port: int, emulator_port: int, schedule_s: float, fresh: bool = False) -> int:
    stack = Stack(host, port, emulator_port, schedule_s, fresh)
    signal.signal(signal.SIGTERM, stack.stop)
    signal.signal(signal.SIGINT, stack.stop)
    try:
        stack.start()
        stack.supervise()
    finally:
        print("stopping covid-etl ...", flush=True)
        stack.shutdown()
    return 0
