"""`covid-etl status`: one answer to "is it healthy?", for a person or a cron check.

Reads the local stack (`.covid-etl/stack.json`: its processes and API) or a deployed one (found
from COVID_ETL_PREFIX and the region, `covid_etl.deployed`), then the run history, the sources'
loaded versions and every queue's depth. `problems` are what needs a person (exit 1): a message
in a DLQ, no successful run within the staleness window, a process or the API down. `warnings`
(a stale source) are shown and do not change the exit code: the public sources stopped updating.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Mapping
from datetime import UTC, date, datetime

from pydantic import BaseModel, computed_field

from covid_etl.stackfile import StackFile
from shared import aws
from shared.ledger import RunLedger
from shared.runs import FAILED, GOOD, Run
from shared.settings import Settings
from shared.topology import QUEUES, service

OK_STATUSES = GOOD


class Process(BaseModel):
    name: str
    pid: int | None = None
    up: bool


class RunBrief(BaseModel):
    run_id: str
    status: str
    trigger: str | None = None
    stage: str | None = None
    finished_at: str | None = None
    age_s: int | None = None  # since it finished (since it started, while running)
    error: str | None = None


class Freshness(BaseModel):
    name: str
    last_date: str | None = None
    days_behind: int | None = None
    stale: bool = False


class Depth(BaseModel):
    queue: str
    waiting: int
    in_flight: int
    dead_letters: int


class Status(BaseModel):
    """What `covid-etl status --json` prints."""

    stack: str  # "local" or "deployed"
    where: str
    checked_at: str
    stale_after_days: int
    processes: list[Process] = []
    last_run: RunBrief | None = None
    last_success: RunBrief | None = None
    sources: list[Freshness] = []
    queues: list[Depth] = []
    problems: list[str] = []
    warnings: list[str] = []

    @computed_field  # type: ignore[prop-decorator]
    @property
    def healthy(self) -> bool:
        return not self.problems


def brief(run: Run | None, now: datetime) -> RunBrief | None:
    if run is None:
        return None
    since = run.finished_at or run.started_at
    age = round((now - datetime.fromisoformat(since)).total_seconds()) if since else None
    return RunBrief(run_id=run.run_id, status=run.status, trigger=run.trigger, stage=run.stage,
                    finished_at=run.finished_at, age_s=age, error=run.error)


def freshness(versions: Mapping[str, Mapping[str, object]], today: date, after_days: int) -> list[Freshness]:
    out = []
    for name, version in sorted(versions.items()):
        last = version.get("last_date")
        behind = (today - date.fromisoformat(str(last)[:10])).days if last else None
        out.append(Freshness(name=name, last_date=str(last)[:10] if last else None, days_behind=behind,
                             stale=behind is not None and behind > after_days))
    return out


def assess(status: Status) -> Status:
    """Fill in the problems and warnings from what was read: the pure part of the command."""
    problems, window_s = [], status.stale_after_days * 86400
    problems += [f"{p.name} is not running" for p in status.processes if not p.up]
    for depth in status.queues:
        if depth.dead_letters:
            stage = service(depth.queue).stage
            problems.append(f"{depth.dead_letters} message(s) in the {depth.queue} DLQ: look with `covid-etl replay "
                            f"--dlq {stage} --dry-run`, fix the cause, then `covid-etl replay --dlq {stage}`")
    success, last = status.last_success, status.last_run
    if success is None:
        problems.append("no run has succeeded yet" + (f"; the last one failed: {last.error}" if last and last.error
                                                      else ""))
    elif success.age_s is not None and success.age_s > window_s:
        problems.append(f"no successful run in the last {status.stale_after_days} days "
                        f"(the last one ended {age(success.age_s)} ago)")
    warnings = [f"{s.name} is stale: its latest date is {s.last_date}, {s.days_behind} days ago"
                for s in status.sources if s.stale]
    if last and last.status in FAILED and success is not None and last.run_id != success.run_id:
        warnings.append(f"the last run failed in {last.stage or '?'}: {last.error}")
    return status.model_copy(update={"problems": problems, "warnings": warnings})


def read(stack: StackFile | None, settings: Settings, now: datetime | None = None) -> Status:
    """Read everything the status shows from the stack's AWS (emulator) and processes."""
    now = now or datetime.now(UTC)
    ledger = RunLedger(settings.table_name)
    runs = ledger.recent(100)
    if stack:
        where = f"{stack['api']} (up pid {stack['pid']}, AWS endpoint {stack['endpoint']})"
        processes = [Process(name=n, pid=pid, up=_alive(pid)) for n, pid in stack.get("workers", {}).items()]
        processes = [p for p in processes if p.name != "api"] + [Process(name="api", up=_answers(stack["api"]))]
    else:
        where = f"prefix {settings.prefix} in {aws.region()}"
        processes = []
    status = Status(
        stack="local" if stack else "deployed", where=where, checked_at=now.isoformat(timespec="seconds"),
        stale_after_days=settings.stale_after_days, processes=processes,
        last_run=brief(runs[0] if runs else None, now),
        last_success=brief(next((r for r in runs if r.status in OK_STATUSES), None), now),
        sources=freshness(ledger.source_versions(), now.date(), settings.stale_after_days),
        queues=[_depth(settings, queue) for queue in QUEUES])
    return assess(status)


def _depth(settings: Settings, queue: str) -> Depth:
    sqs = aws.client("sqs")

    def count(name: str) -> tuple[int, int]:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(got["ApproximateNumberOfMessages"]), int(got["ApproximateNumberOfMessagesNotVisible"])

    waiting, in_flight = count(settings.resources.queue(queue))
    dead, dead_in_flight = count(settings.resources.dlq(queue))
    return Depth(queue=queue, waiting=waiting, in_flight=in_flight, dead_letters=dead + dead_in_flight)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(api: str) -> bool:
    try:
        urllib.request.urlopen(f"{api}/healthz", timeout=5).close()
    except OSError:
        return False
    return True


def age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return f"{seconds // 86400} days"


def render(status: Status) -> str:
    """The status as a person reads it: the verdict first, then one line per part."""
    verdict = "healthy" if status.healthy else f"NEEDS A PERSON ({len(status.problems)} problem(s))"
    lines = [f"covid-etl status: {verdict}", f"  stack         {status.stack}: {status.where}"]
    if status.processes:
        lines.append("  processes     " + ", ".join(
            f"{p.name} {'up' if p.up else 'DOWN'}" + (f" (pid {p.pid})" if p.pid else "") for p in status.processes))
    lines.append(f"  last run      {_run_line(status.last_run)}")
    lines.append(f"  last success  {_run_line(status.last_success)}")
    for i, s in enumerate(status.sources or [Freshness(name="none loaded")]):
        behind = f", {s.days_behind} days ago" + (" (stale)" if s.stale else "") if s.days_behind is not None else ""
        lines.append(f"  {'sources' if i == 0 else '':<13} {s.name}: latest date {s.last_date or '-'}{behind}")
    lines.append(f"  {'queues':<13} {'queue':<12} {'waiting':>7} {'in flight':>9} {'DLQ':>5}")
    lines += [f"  {'':<13} {d.queue:<12} {d.waiting:>7} {d.in_flight:>9} {d.dead_letters:>5}" for d in status.queues]
    for title, items in (("problems", status.problems), ("warnings", status.warnings)):
        if items:
            lines.append(f"{title}:")
            lines += [f"  - {item}" for item in items]
    return "\n".join(lines)


def _run_line(run: RunBrief | None) -> str:
    if run is None:
        return "none"
    when = f", {age(run.age_s)} ago" if run.age_s is not None else ""
    where = f" in {run.stage}" if run.status in FAILED and run.stage else ""
    error = f": {run.error}" if run.error else ""
    return f"{run.run_id} {run.status}{where} ({run.trigger or '?'}{when}){error}"
