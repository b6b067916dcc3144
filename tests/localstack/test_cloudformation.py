"""The CDK stacks deployed to LocalStack's CloudFormation, then the system run on what they made.

LocalStack cannot run a Lambda function without Docker, and its event source mappings would take
the queues' messages from the workers, so the app is synthesized with `-c functions=false`: every
stack as for AWS but without its functions (and so without the API stack, a function behind an
HTTP API, and without the functions' error and throttle alarms). `-c stage=prod` keeps the bucket
without its auto-delete custom resource, another function. Then the four workers run in container
mode (`python -m shared.runtime <name>`, as docker-compose runs them) with the settings that the stacks
published (SSM parameters under /<prefix>/, which `covid-etl` reads too, checked against the
stacks' outputs), and the deployed daily rule, at a one-minute rate, starts the run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from support import fixtures
from support.reference import reference
from support.stack import clean_env

from covid_etl.deployed import deployed_env
from shared.topology import QUEUES, Resources
from tests.localstack.cloudformation import PREFIX, Deployment, summary, template
from tests.localstack.compose import stop_group
from tests.localstack.harness import OLD_DYNAMODB_LOCAL, Server, SplitStack, one_minute_rate


def test_every_stack_and_resource_is_created(deployment: Deployment) -> None:
    deployed = deployment.deployed
    assert list(deployed.status) == deployment.stacks == [f"{PREFIX}-data", *(f"{PREFIX}-{q}" for q in
                                                                             ("notifier", "loader", "transformer",
                                                                              "extractor"))]
    assert set(deployed.status.values()) == {"CREATE_COMPLETE"}, summary(deployed)
    for stack in deployment.stacks:
        declared = template(deployment.outdir, stack)["Resources"]
        made = {r["LogicalResourceId"]: r for r in deployed.resources[stack]}
        assert set(made) == set(declared), f"{stack}: {set(declared) ^ set(made)}"
        for logical, resource in made.items():
            assert resource["ResourceStatus"] == "CREATE_COMPLETE", (stack, logical, resource)
            assert resource["ResourceType"] == declared[logical]["Type"]


def test_no_resource_was_only_pretended(deployment: Deployment, localstack: Server) -> None:
    """LocalStack "deploys" a resource type it lacks as an empty fallback, with a warning in its log
    (CFN_IGNORE_UNSUPPORTED_RESOURCE_TYPES): only CDK's own metadata resource may be one of those."""
    log = localstack.log.read_text()
    fallbacks = set(re.findall(r"Deployment of resource type (\S+) succeeded, but will fail", log))
    assert fallbacks <= {"AWS::CDK::Metadata"}, fallbacks


def test_the_resources_are_what_the_templates_say(deployment: Deployment) -> None:
    res, client, outputs = Resources(PREFIX), deployment.client, deployment.deployed.outputs
    table = client("dynamodb").describe_table(TableName=res.table)["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = client("dynamodb").describe_time_to_live(TableName=res.table)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert outputs[f"{PREFIX}-data"]["BucketName"] == f"{res.bucket}-000000000000-us-east-1"
    policy = json.loads(client("s3").get_bucket_policy(Bucket=outputs[f"{PREFIX}-data"]["BucketName"])["Policy"])
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in policy["Statement"])
    topic = client("sns").get_topic_attributes(TopicArn=outputs[f"{PREFIX}-data"]["TopicArn"])["Attributes"]
    alarm_topic = client("sns").get_topic_attributes(TopicArn=outputs[f"{PREFIX}-data"]["AlarmTopicArn"])["Attributes"]
    assert topic["KmsMasterKeyId"] and alarm_topic["KmsMasterKeyId"] == topic["KmsMasterKeyId"]
    assert "cloudwatch.amazonaws.com" in alarm_topic["Policy"]  # alarms publish there, not on the runs topic
    sqs = client("sqs")
    for queue in QUEUES:
        url = outputs[f"{PREFIX}-{queue}"]["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert attributes["VisibilityTimeout"] == "60" and int(redrive["maxReceiveCount"]) == res.max_receive_count
        assert redrive["deadLetterTargetArn"].endswith(f":{res.dlq(queue)}")
    rule = client("events").describe_rule(Name=res.schedule_rule)
    assert rule["ScheduleExpression"] == "rate(1 day)" and rule["State"] == "ENABLED"
    alarms = {a["AlarmName"] for a in client("cloudwatch").describe_alarms(MaxRecords=100)["MetricAlarms"]}
    per_queue = {f"{PREFIX}-{q}-{kind}" for q in QUEUES for kind in ("dead-letters", "new-dead-letters",
                                                                     "oldest-message")}
    assert per_queue | {f"{PREFIX}-{name}" for name in ("run-failed", "no-good-run", "table-throttled",
                                                        "schedule-failed")} <= alarms
    roles = [r for r in client("iam").list_roles()["Roles"] if r["RoleName"].startswith(f"{PREFIX}-")]
    assert len(roles) == len(QUEUES), [r["RoleName"] for r in roles]  # each service's least-privilege role


def test_the_deployed_rule_starts_a_run_that_the_workers_complete(deployment: Deployment, localstack: Server,
                                                                   tmp_path: Path) -> None:
    client, outputs = deployment.client, deployment.deployed.outputs
    settings = deployed_env(PREFIX, client("ssm"))  # what `covid-etl` reads for a deployed system
    for queue in QUEUES:
        assert settings[f"COVID_ETL_{queue.upper()}_QUEUE_URL"] == outputs[f"{PREFIX}-{queue}"]["QueueUrl"]
    assert settings["COVID_ETL_TABLE"] == outputs[f"{PREFIX}-data"]["TableName"]
    env = clean_env(AWS_ENDPOINT_URL=localstack.endpoint, COVID_ETL_NYT_URL=deployment.sources.url("nyt.csv"),
                    COVID_ETL_JHU_URL=deployment.sources.url("jhu.csv"),
                    COVID_ETL_LOOKUP_URL=deployment.sources.url("lookup.csv"), COVID_ETL_VISIBILITY_TIMEOUT_S="60",
                    **OLD_DYNAMODB_LOCAL, **settings)
    stack = SplitStack.view(tmp_path, localstack.endpoint, {**env, "AWS_ENDPOINT_URL_DYNAMODB": localstack.endpoint})
    stack.subscribe()
    workers = {}
    for queue in QUEUES:
        with open(tmp_path / f"{queue}.log", "wb") as log:
            workers[queue] = subprocess.Popen([sys.executable, "-m", "shared.runtime", queue], env=env, stdout=log,
                                              stderr=log, start_new_session=True)
    try:
        with one_minute_rate(client("events"), Resources(PREFIX).schedule_rule):
            run = _first_run(stack, timeout=200, logs=tmp_path)
    finally:
        for process in workers.values():
            stop_group(process, 30)
    assert run["trigger"] == "schedule" and run["status"] == "succeeded", run
    assert stack.table() == reference(fixtures.old_pair())
    assert stack.notification(run["run_id"]).attributes["status"] == "succeeded"


def _first_run(stack: SplitStack, timeout: float, logs: Path) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        runs = sorted(stack.runs(), key=lambda r: r["started_at"])
        if runs and runs[0].get("status") in ("succeeded", "no_change", "failed", "gave_up", "interrupted"):
            return runs[0]
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(logs.glob("*.log")))
            raise AssertionError(f"no run ended within {timeout:g} s: {runs}\n{tails}")
        time.sleep(2)
