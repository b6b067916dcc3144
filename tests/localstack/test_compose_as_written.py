"""docker-compose.yml run as written, without Docker: every service but the two emulators starts
its compose `command` with its compose `environment` as a process here (tests/localstack/compose.py
says what is translated, and why), against this session's LocalStack and DynamoDB Local, in the
order and with the healthchecks that compose itself would use. The source URLs come from a `.env`
file, as a user would set them. A change to a command or a variable of the compose file changes
what runs here.

Then a run fired by LocalStack's own EventBridge rule: the rule that `provision` made, at a rate of
one minute instead of one day, puts the scheduled event on the extractor's queue; nothing else
triggers it.
"""

from __future__ import annotations

import copy
import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import fixtures
from support.reference import reference, table_after
from support.sources import SourceServer

from covid_etl.resources import Resources
from tests.localstack.compose import HostCompose, compose_config
from tests.localstack.harness import OLD_DYNAMODB_LOCAL, SplitStack, one_minute_rate

EMULATORS = ("localstack", "dynamodb-local")


@dataclass
class Composed:
    host: HostCompose
    stack: SplitStack
    sources: SourceServer


@pytest.fixture(scope="module")
def composed(localstack: Any, dynamodb_local: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Composed]:
    folder = tmp_path_factory.mktemp("compose")
    sources = SourceServer(folder / "sources")
    sources.put_pair(fixtures.old_pair())
    env_file = folder / ".env"
    env_file.write_text(f"COVID_ETL_NYT_URL={sources.url('nyt.csv')}\nCOVID_ETL_JHU_URL={sources.url('jhu.csv')}\n"
                        f"COVID_ETL_LOOKUP_URL={sources.url('lookup.csv')}\n")
    config = compose_config(env_file)
    host = HostCompose(config, {"localstack": localstack.port, "dynamodb-local": dynamodb_local.port}, folder,
                       OLD_DYNAMODB_LOCAL)
    try:
        host.start("provision")  # after LocalStack and DynamoDB Local are healthy, by their healthchecks
        host.wait_for("provision", "service_completed_successfully")
        env = {**host.environment("provision"), **_provisioned(host.log("provision", tail=100_000))}
        stack = SplitStack.view(folder, localstack.endpoint, env)
        stack.subscribe()  # before any run, so its announcement lands in the test's queue
        for name in host.runnable():
            if name not in host.processes:
                host.start(name)  # each after its depends_on conditions hold
        yield Composed(host, stack, sources)
    finally:
        host.stop()
        sources.stop()


def _provisioned(log: str) -> dict[str, str]:
    """The KEY=VALUE lines that `provision` prints (the DLQ URLs among them)."""
    return dict(line.split("=", 1) for line in log.splitlines() if line.startswith("COVID_ETL_") and "=" in line)


def test_every_service_but_the_emulators_runs_here(composed: Composed) -> None:
    services = composed.host.services
    assert set(composed.host.runnable()) == set(services) - set(EMULATORS)
    assert services["localstack"]["image"] == "localstack/localstack:4.14.0"
    for name in composed.host.runnable():
        assert composed.host.healthcheck(name) or services[name]["restart"] == "no", f"{name} has no healthcheck"


def test_a_changed_variable_or_command_fails(composed: Composed, localstack: Any, dynamodb_local: Any,
                                             tmp_path: Path) -> None:
    """What the test runs is what the file says: a wrong queue URL or a wrong module fails here."""
    config = copy.deepcopy(composed.host.config)
    env = config["services"]["provision"]["environment"]
    env["COVID_ETL_LOADER_QUEUE_URL"] = env["COVID_ETL_LOADER_QUEUE_URL"].replace("-loader", "-load")
    config["services"]["loader"]["command"] = ["python", "-m", "services.load"]
    host = HostCompose(config, {"localstack": localstack.port, "dynamodb-local": dynamodb_local.port}, tmp_path,
                       OLD_DYNAMODB_LOCAL)
    try:
        host.start("provision")
        with pytest.raises(AssertionError, match="provision exited with 1"):
            host.wait_for("provision", "service_completed_successfully")
        host.processes["provision"] = composed.host.processes["provision"]  # the one that succeeded
        host.start("loader")
        with pytest.raises(AssertionError, match="loader exited"):
            host.wait_healthy("loader")
        assert "No module named services.load" in host.log("loader")
    finally:
        host.processes.pop("provision")
        host.stop()


def test_compose_up_runs_the_pipeline_once(composed: Composed) -> None:
    host, stack = composed.host, composed.stack
    code = host.processes["first-run"].wait(300)
    log = host.log("first-run")
    assert code == 0, f"{log}\n" + "\n".join(f"--- {n}\n{host.log(n)}" for n in host.runnable())
    run_id = next(line.split()[1] for line in log.splitlines() if line.startswith("run "))
    runs = {r["run_id"]: r for r in stack.runs()}
    assert runs[run_id]["status"] == "succeeded" and runs[run_id]["trigger"] == "cli"
    assert stack.table() == reference(fixtures.old_pair())
    note = stack.notification(run_id)
    assert note.attributes["status"] == "succeeded"
    assert note.body["inserted"] == len(reference(fixtures.old_pair()))

    api = f"http://127.0.0.1:{host.ports['api'][8080]}/api/v1/daily"
    with urllib.request.urlopen(api, timeout=10) as response:
        daily = json.load(response)
    assert len(daily["data"]) == len(reference(fixtures.old_pair())), daily


def test_a_run_fired_by_localstacks_eventbridge_rule(composed: Composed) -> None:
    stack, sources = composed.stack, composed.sources
    before = stack.table()
    sources.put_pair(fixtures.new_pair())
    res = Resources(stack.setting("COVID_ETL_PREFIX"))
    events, sqs = stack.client("events"), stack.client("sqs")
    rule = events.describe_rule(Name=res.schedule_rule)
    assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
    queue_arn = sqs.get_queue_attributes(QueueUrl=stack.setting("COVID_ETL_EXTRACTOR_QUEUE_URL"),
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    targets = events.list_targets_by_rule(Rule=res.schedule_rule)["Targets"]
    assert [t["Arn"] for t in targets] == [queue_arn]
    known = {r["run_id"] for r in stack.runs()}

    with one_minute_rate(events, res.schedule_rule):
        fired = _first_new_run(stack, known, timeout=200)
    assert fired["trigger"] == "schedule" and fired["status"] == "succeeded", fired
    assert stack.table() == table_after(before, reference(fixtures.new_pair()))
    assert stack.notification(fired["run_id"]).attributes["status"] == "succeeded"


def _first_new_run(stack: SplitStack, known: set[str], timeout: float) -> dict[str, Any]:
    """The first run that was not in `known`, once it has ended."""
    deadline = time.monotonic() + timeout
    while True:
        new = sorted((r for r in stack.runs() if r["run_id"] not in known), key=lambda r: r["started_at"])
        if new and new[0].get("status") in ("succeeded", "no_change", "failed", "gave_up", "interrupted"):
            return new[0]
        assert time.monotonic() < deadline, f"no new run ended within {timeout:g} s: {new}"
        time.sleep(2)
