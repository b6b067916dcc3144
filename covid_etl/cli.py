"""The `covid-etl` command: `up`, `run [--wait] [--json]`, `runs [--json]`, `status [--json]`, `replay`.

Every command but `up` talks to a running system, local or deployed, through AWS's API alone: only
`up` imports the local stack (`covid_etl.local`), and with it moto, an optional dependency
(`covid-etl[local]`, `requirements-local.lock`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import TypedDict

from covid_etl.stackfile import find_stack
from shared.ledger import RunLedger
from shared.runs import Run, Runs
from shared.settings import MissingSetting, Settings
from shared.topology import EXTRACTOR, STAGES, queue_url_var


def use_stack() -> None:
    """Point this process at the running local stack, unless the environment says otherwise."""
    state = find_stack()
    if state:
        for key, value in state["env"].items():
            os.environ.setdefault(key, value)
    else:  # a system deployed on AWS, found from COVID_ETL_PREFIX and the region (covid_etl.deployed)
        from covid_etl.deployed import use_deployed

        use_deployed()


class RunResult(TypedDict):
    """The one JSON object of `covid-etl run --wait --json` (its fields are in the README)."""

    run_id: str
    status: str
    inserted: int | None
    updated: int | None
    unchanged: int | None
    rows_total: int | None
    first_date: str | None
    last_date: str | None
    sources: dict[str, dict[str, object]]  # per source: changed, bytes, sha256, last_date
    warnings: list[str]
    error: str | None
    # (issue 18) `inserted` ... `rows_total` stay the US series'; `all`: every region's counts
    all: dict[str, int] | None
    regions: list[dict[str, object]] | None  # the five regions with most changed rows
    loaded_at: str | None  # the load's instant: `GET /api/v1/daily?as_of=` it to see the table as this run left it


def run_result(run: Run) -> RunResult:
    data = run.model_dump(mode="json")
    sources = {s["name"]: {k: s.get(k) for k in ("changed", "bytes", "sha256", "last_date")}
               for s in data["sources"]}
    return RunResult(run_id=data["run_id"], status=data["status"], inserted=data["inserted"],
                     updated=data["updated"], unchanged=data["unchanged"], rows_total=data["rows_total"],
                     first_date=data["first_date"], last_date=data["last_date"], sources=sources,
                     warnings=data["warnings"], error=data["error"], all=data["all"], regions=data["regions"],
                     loaded_at=data["loaded_at"])


def poll_delay(waited: float) -> float:
    """How long to sleep between two reads of the run: often while a run usually ends, then rarely."""
    return 0.05 if waited < 30 else 0.5


def wait_for(runs: Runs, run_id: str, timeout: float, progress: bool) -> Run | None:
    seen: dict[str, str] = {}
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        run = runs.get(run_id)
        if run:
            for stage in STAGES:
                record = run.stages.get(stage)
                if record and seen.get(stage) != record.status:
                    seen[stage] = record.status
                    took = record.duration_ms
                    extra = f" in {took} ms" if took is not None and record.status != "running" else ""
                    if progress:
                        print(f"  {stage:<9} {record.status}{extra}", file=sys.stderr, flush=True)
            if run.ended:
                return run
        time.sleep(poll_delay(time.monotonic() - started))
    return None


def cmd_run(args: argparse.Namespace) -> int:
    from covid_etl.trigger import trigger

    use_stack()
    settings = Settings()
    env = {queue_url_var(EXTRACTOR.name): settings.queue_url(EXTRACTOR.name), "COVID_ETL_BUCKET": settings.bucket_name}
    runs = RunLedger(settings.table_name) if args.wait else None  # its client built before the run, not during it
    run_id = trigger(env, "cli", force=args.force)
    if runs is None:
        print(json.dumps({"run_id": run_id, "status": "running"}) if args.json else f"run {run_id} requested")
        return 0
    print(f"run {run_id}", file=sys.stderr)
    run = wait_for(runs, run_id, args.timeout, progress=True)
    if run is None:
        print(json.dumps({"run_id": run_id, "status": "timeout"}) if args.json
              else f"run {run_id} did not finish within {args.timeout:g} s", flush=True)
        return 2
    result = run_result(run)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['status']}: {result['inserted']} inserted, {result['updated']} updated, "
              f"{result['unchanged']} unchanged, {result['rows_total']} rows "
              f"({result['first_date']} .. {result['last_date']})")
        every = result["all"]
        if every:
            print(f"every region ({every['regions']}): {every['inserted']} inserted, {every['updated']} updated, "
                  f"{every['unchanged']} unchanged, {every['rows_total']} rows; loaded at {result['loaded_at']}")
        for warning in result["warnings"]:
            print(f"warning: {warning}")
        if result["error"]:
            print(f"error: {result['error']}")
    return 0 if result["status"] in ("succeeded", "no_change") else 1


def cmd_runs(args: argparse.Namespace) -> int:
    use_stack()
    runs = RunLedger(Settings().table_name).recent(args.limit)
    if args.json:
        print(json.dumps([run.as_json() for run in runs]))
        return 0
    print(f"{'run id':<26} {'status':<10} {'inserted':>8} {'updated':>8}  started")
    for run in runs:
        print(f"{run.run_id:<26} {run.status:<10} {_blank(run.inserted):>8} "
              f"{_blank(run.updated):>8}  {run.started_at or ''}")
    return 0


def _blank(value: object) -> str:
    return "" if value is None else str(value)


def cmd_replay(args: argparse.Namespace) -> int:
    from covid_etl import replay

    use_stack()
    settings = Settings()
    if args.dlq:
        summary = replay.replay_dlq(settings, args.dlq, args.dry_run)
    elif args.run and args.from_stage:
        summary = replay.replay_run(settings, args.run, args.from_stage, args.dry_run)
    else:
        raise SystemExit("replay needs --dlq STAGE, or --run RUN_ID --from STAGE")
    print(json.dumps(summary))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from covid_etl.deployed import use_deployed
    from covid_etl.status import read, render

    stack = find_stack()
    if stack:
        for key, value in stack["env"].items():
            os.environ.setdefault(key, value)
    elif not (use_deployed() or os.environ.get(queue_url_var(EXTRACTOR.name))):
        reason = ("no stack is running here (`make run` or `covid-etl up` starts one) and no deployed stack was "
                  "found (set AWS_REGION and COVID_ETL_PREFIX)")
        print(json.dumps({"stack": None, "healthy": False, "problems": [reason]}) if args.json
              else f"covid-etl status: DOWN: {reason}")
        return 3
    settings = Settings()
    if args.stale_after_days is not None:
        settings = settings.model_copy(update={"stale_after_days": args.stale_after_days})
    status = read(stack, settings)
    print(status.model_dump_json() if args.json else render(status))
    return 0 if status.healthy else 1


def cmd_up(args: argparse.Namespace) -> int:
    from covid_etl.local.emulator import WrongVersion
    from covid_etl.local.stack import up  # the only command that needs the local stack

    s = Settings()
    try:
        return up(s.api_host if args.host is None else args.host, s.api_port if args.port is None else args.port,
                  s.emulator_port if args.emulator_port is None else args.emulator_port,
                  s.schedule_seconds if args.schedule_seconds is None else args.schedule_seconds, args.fresh)
    except WrongVersion as error:
        print(f"covid-etl up: {error}", file=sys.stderr)
        return 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="covid-etl", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    up_p = sub.add_parser("up", help="run the whole system locally on an embedded AWS emulator")
    # defaults are read when `up` runs (Settings), so a bad COVID_ETL_* value never breaks `--help`
    up_p.add_argument("--host")
    up_p.add_argument("--port", type=int)
    up_p.add_argument("--emulator-port", type=int)
    up_p.add_argument("--schedule-seconds", type=float)
    up_p.add_argument("--fresh", action="store_true",
                      help="start empty: forget the table and bucket saved at the last stop")
    up_p.set_defaults(func=cmd_up)
    run_p = sub.add_parser("run", help="trigger a run")
    run_p.add_argument("--wait", action="store_true", help="follow the run until it ends")
    run_p.add_argument("--json", action="store_true", help="print one JSON object")
    run_p.add_argument("--force", action="store_true", help="process the sources even if unchanged")
    run_p.add_argument("--timeout", type=float, default=600)
    run_p.set_defaults(func=cmd_run)
    runs_p = sub.add_parser("runs", help="list recent runs")
    runs_p.add_argument("--json", action="store_true")
    runs_p.add_argument("--limit", type=int, default=20)
    runs_p.set_defaults(func=cmd_runs)
    status_p = sub.add_parser("status", help="is it healthy? exits 1 when a person is needed, 3 when no stack is found")
    status_p.add_argument("--json", action="store_true", help="print one JSON object")
    status_p.add_argument("--stale-after-days", type=int, help="the window for the last successful run "
                          "and a source's latest date (default COVID_ETL_STALE_AFTER_DAYS, 3)")
    status_p.set_defaults(func=cmd_status)
    replay_p = sub.add_parser("replay", help="move dead letters back, or re-send a run's archived message")
    replay_p.add_argument("--dlq", metavar="STAGE", help=" or ".join(STAGES))
    replay_p.add_argument("--run", metavar="RUN_ID")
    replay_p.add_argument("--from", dest="from_stage", metavar="STAGE")
    replay_p.add_argument("--dry-run", action="store_true", help="list what would move")
    replay_p.set_defaults(func=cmd_replay)
    return p


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MissingSetting as error:  # no stack here and no AWS configuration
        print(f"covid-etl: {error}. Start the local stack with `make run` (or `covid-etl up`) in this "
              "folder, or set AWS_REGION (and COVID_ETL_PREFIX) of a deployed stack.", file=sys.stderr)
    except (EndpointConnectionError, NoCredentialsError) as error:
        print(f"covid-etl: cannot reach AWS: {error}. Is the stack still running?", file=sys.stderr)
    return 3


def entry() -> None:
    """The console script: `main`, then exit without tearing the interpreter down.

    Freeing boto3's and pydantic's modules one by one took 0.3-1 s after the answer was printed;
    nothing is left to flush or close by then but the standard streams."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
