"""Every AWS call each service's process makes, judged against that service's role in the
synthesized CloudFormation templates, as AWS's IAM would judge it.

One `covid-etl up` stack, with `tests/support/iam_trace` on every process's PYTHONPATH, goes
through a first load, an update (a new version of the sources, with changed and new rows), a run
with no change, a run on a bad source (an HTML page), one on a missing source (404), an unreadable
message and a message of the wrong kind (both sent to the DLQ at once, the second's run failed by the
loader), and every route of the API. The hook records each call of a
service process with its resources and partition keys; what is the handler's and what is not
(the container's own SQS polling, its warm-up) is decided there, see its docstring.

Each call becomes IAM authorization requests (`support.iam_calls`), judged (`support.iam_eval`)
against the statements of the service's function role, read from the templates alone
(`support.iam_templates`), never from `infra/stacks/access.py`. A call the role would deny fails
the test; what the roles grant and no call used is listed in `artifacts/iam-report.txt`.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import fixtures
from support.iam_calls import Call, read_trace, requests
from support.iam_eval import Decision, considered, decide, show, unused
from support.iam_templates import DeployedNames, Role, roles, synthesize
from support.sources import SourceServer
from support.stack import FINAL, Stack

from shared.messages import ExtractRequestedV1, make_message, new_run_id
from shared.topology import SERVICES, dlq_url_var, queue_url_var

TRACE = Path(__file__).resolve().parents[1] / "support" / "iam_trace"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
PIPELINE = [spec.name for spec in SERVICES]


@dataclass
class Recorded:
    calls: list[Call]
    local_env: dict[str, str]
    runs: dict[str, dict[str, Any]]
    pages: dict[str, int]  # API path -> HTTP status


def api_paths(run_ids: list[str]) -> list[str]:
    """A GET of every route of the API app (its url_map), each parameter filled with real values."""
    from services.api.app import create_app

    paths = []
    for rule in create_app(store=object()).url_map.iter_rules():  # type: ignore[arg-type]
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        fills: dict[str, list[str]] = {"run_id": [*run_ids, "no-such-run"], "name": ["index.html", "missing.js"]}
        values = [{}] if not rule.arguments else [{arg: v} for arg in rule.arguments for v in fills[arg]]
        paths += [rule.build(v, append_unknown=False)[1] for v in values]  # type: ignore[index]
    return paths + ["/api/v1/daily?format=csv", "/api/v1/daily?from=2020-03-05&to=2020-03-10", "/api/v1/runs?limit=3"]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def send_unreadable(stack: Stack) -> None:
    """An unparseable body on the transformer's queue: the handler sends it to its DLQ at once."""
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=stack.setting("COVID_ETL_TRANSFORMER_QUEUE_URL"), MessageBody="not a message")
    dlq = stack.setting(dlq_url_var("transformer"))

    def arrived() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) > 0
    stack._wait(arrived, 60, "the unreadable message did not reach the transformer's DLQ")


def send_wrong_kind(stack: Stack) -> dict[str, Any]:
    """A run request on the loader's queue: the loader fails that run (recorded, closed, announced) and
    sends the body to its DLQ; returns the run's record once it has ended."""
    run_id = new_run_id()
    message = make_message(ExtractRequestedV1(trigger="cli"), run_id=run_id, producer="cli")  # type: ignore[arg-type]
    stack.client("sqs").send_message(QueueUrl=stack.setting(queue_url_var("loader")), MessageBody=message.to_json())

    def ended() -> dict[str, Any] | None:
        found = [r for r in stack.runs() if r["sk"] == run_id and r.get("status") in FINAL]
        return found[0] if found else None
    return {"run_id": run_id, **stack._wait(ended, 60, "the loader did not fail the run of a wrong-kind message")}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    folder = tmp_path_factory.mktemp("iam")
    trace = folder / "trace"
    trace.mkdir()
    path = os.pathsep.join(filter(None, [str(TRACE), os.environ.get("PYTHONPATH")]))
    runs: dict[str, dict[str, Any]] = {}
    with SourceServer(folder / "sources") as sources:
        sources.put_pair(fixtures.old_pair())
        with Stack.up(folder / "stack", sources.url("nyt.csv"), sources.url("jhu.csv"),
                      PYTHONPATH=path, COVID_ETL_IAM_TRACE=str(trace)) as stack:
            runs["first load"] = stack.first_run()
            sources.put_pair(fixtures.new_pair())
            runs["update"] = stack.run()
            runs["no change"] = stack.run()
            sources.put({"nyt.csv": fixtures.html_page()})
            runs["bad source"] = stack.run(expect_rc=(1,))
            sources.fail("/nyt.csv", 404)
            runs["missing source"] = stack.run(expect_rc=(1,))
            send_unreadable(stack)
            runs["wrong kind"] = send_wrong_kind(stack)
            paths = api_paths([str(r["run_id"]) for r in runs.values()])
            pages = {p: get(stack.api + p) for p in paths}
            time.sleep(1.5)  # the API's cache looks for a new version at most once a second: let it look again
            pages["/api/v1/summary (again)"] = get(stack.api + "/api/v1/summary")
            local_env = dict(stack.state["env"])
    yield Recorded(read_trace(trace), local_env, runs, pages)


@pytest.fixture(scope="module")
def templates() -> dict[str, Any]:
    return synthesize()


def test_the_runs_ended_as_each_scenario_should(recorded: Recorded) -> None:
    statuses = {name: run["status"] for name, run in recorded.runs.items()}
    assert statuses == {"first load": "succeeded", "update": "succeeded", "no change": "no_change",
                        "bad source": "failed", "missing source": "failed", "wrong kind": "failed"}
    assert recorded.runs["update"]["inserted"] > 0 and recorded.runs["update"]["updated"] > 0
    assert {p: s for p, s in recorded.pages.items() if s >= 500} == {}
    assert recorded.pages["/api/v1/runs/no-such-run"] == 404


def test_every_service_was_recorded(recorded: Recorded) -> None:
    """The hook saw each service's handler (else the next test would pass on nothing)."""
    seen = {c.service for c in recorded.calls if not c.warm_up}
    assert seen == {*PIPELINE, "api"}, f"calls recorded for {sorted(seen)}"


def judge(calls: list[Call], found: dict[str, Role],
          names: DeployedNames) -> tuple[list[str], dict[str, list[Decision]]]:
    """One message per distinct denied request (with how many calls made it), and every decision."""
    denied: dict[str, list[str]] = defaultdict(list)
    decisions: dict[str, list[Decision]] = defaultdict(list)
    for call in calls:
        role = found.get(call.service)
        if role is None:
            denied[f"{call.service} {call.op}: no function role for this service in the templates"].append("")
            continue
        for request in requests(call, names):
            decision = decide(role.statements, request)
            decisions[call.service].append(decision)
            if not decision.allowed:
                why = ("explicitly denied by " + show(decision.denied_by[0])) if decision.denied_by \
                    else "no Allow matches"
                seen = "\n      ".join(show(s) for s in considered(role.statements, request))
                denied[f"{call.service} ({role.function}) {call.aws} {call.op}: {request.describe()}\n"
                       f"    {why}; statements considered:\n      {seen}"].append(call.op)
    return [f"{m}\n    ({len(ops)} call(s))" for m, ops in denied.items()], decisions


def report(found: dict[str, Role], decisions: dict[str, list[Decision]], calls: list[Call]) -> str:
    lines = ["Granted and never used by the recorded calls (not a failure):"]
    for service, role in sorted(found.items()):
        lines += [f"  {service}: {u}" for u in unused(role.statements, decisions.get(service, []))]
        lines += [f"  {service}: managed policy {m} (not read)" for m in role.unreadable]
    lines.append("Calls judged, by service:")
    judged = [c for c in calls if not c.warm_up]
    for service in sorted({c.service for c in judged}):
        ops = sorted({f"{c.aws}:{c.op}" for c in judged if c.service == service})
        lines.append(f"  {service}: {len([c for c in judged if c.service == service])} calls: {', '.join(ops)}")
    warm = sorted({f"{c.service} {c.aws}:{c.op}" for c in calls if c.warm_up})
    lines.append(f"Left out, the container's warm-up (not a Lambda call): {', '.join(warm) or 'none'}")
    return "\n".join(lines)


def test_every_call_is_allowed_by_its_services_role(recorded: Recorded, templates: dict[str, Any]) -> None:
    found = roles(templates)
    assert {*PIPELINE, "api"} <= set(found), f"function roles found for {sorted(found)}"
    names = DeployedNames(templates, recorded.local_env, found)
    calls = [c for c in recorded.calls if not c.warm_up]
    denials, decisions = judge(calls, found, names)
    text = report(found, decisions, recorded.calls)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "iam-report.txt").write_text(text + "\n\nDenied:\n" + "\n".join(denials) + "\n")
    print(text)
    assert not denials, f"{len(denials)} kind(s) of call the deployed roles would deny:\n" + "\n".join(denials)
