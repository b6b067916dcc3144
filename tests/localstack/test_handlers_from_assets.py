"""Each function of the synthesized app called as AWS would call it, on the resources that
CloudFormation made on LocalStack (the `deployment` fixture).

The app is synthesized again with its functions (the same context, the real layers of `make
lambda-layer`). For every function the template declares, its handler is imported from its own
code asset folder in `cdk.out`, with its layers' `python/` folders on the path and nothing else but
the runtime's boto3, on Python 3.12 (the functions' runtime), with exactly the environment variables
the template gives it (intrinsics resolved against the deployed stacks) plus what Lambda itself
sets. The events are AWS's: the scheduled event that the daily rule sends, delivered through the
extractor's queue as an SQS batch; each next stage's SQS batch built from the messages the previous
handler sent to its queue, as the event source mapping builds it; and an API Gateway HTTP API
(payload 2.0) request to the API. A variable missing from a template or a file missing from an
asset fails here.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support import fixtures
from support.reference import reference, table_after
from support.stack import clean_env

from shared.topology import QUEUES, Resources
from tests.localstack.cloudformation import CONTEXT, PREFIX, Deployment, synthesize, template
from tests.localstack.harness import OLD_DYNAMODB_LOCAL, Server, SplitStack
from tests.support.tiers import unavailable

ROOT = Path(__file__).resolve().parents[2]
HOST = Path(__file__).with_name("lambda_host.py")
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
PSEUDO = {"AWS::Region": "us-east-1", "AWS::AccountId": "000000000000", "AWS::URLSuffix": "amazonaws.com",
          "AWS::Partition": "aws"}


@functools.cache
def python312() -> str | None:
    """Python 3.12, the functions' runtime: on PATH, else from pyenv (a shim alone may not run)."""
    candidates = [shutil.which("python3.12")]
    if shutil.which("pyenv"):
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True).stdout.split()
        for version in (v for v in versions if re.fullmatch(r"3\.12\.\d+", v)):
            prefix = subprocess.run(["pyenv", "prefix", version], capture_output=True, text=True).stdout.strip()
            candidates.append(f"{prefix}/bin/python3.12")
    for candidate in filter(None, candidates):
        check = [candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"]
        if subprocess.run(check, capture_output=True).returncode == 0:
            return candidate
    return None


class Function:
    """One function of the templates: its handler, code and layer folders, and resolved environment."""

    def __init__(self, name: str, handler: str, paths: list[Path], env: dict[str, str], memory: int) -> None:
        self.name, self.handler, self.paths, self.env, self.memory = name, handler, paths, env, memory


@pytest.fixture(scope="module")
def functions(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Function]:
    if python312() is None:
        unavailable("Python 3.12 (the Lambda runtime) is not installed: pyenv install 3.12 (CI: setup-python)")
    layers = ROOT / "build" / "layers"
    missing = [n for n in ("base", "data", "web") if not any((layers / n / "python").glob("*.dist-info"))]
    if missing:
        unavailable(f"the Lambda layers {missing} are not built: `make lambda-layer`")
    folder = tmp_path_factory.mktemp("with-functions")
    (folder / "build").mkdir()
    (folder / "build" / "layers").symlink_to(layers)
    outdir = folder / "cdk.out"
    stacks = synthesize(outdir, folder / "build", {
        **CONTEXT, "functions": "true", "aws:cdk:enable-asset-metadata": "true",
        "nyt_url": deployment.sources.url("nyt.csv"), "jhu_url": deployment.sources.url("jhu.csv"),
        "lookup_url": deployment.sources.url("lookup.csv")})
    found: dict[str, Function] = {}
    for stack in stacks:
        physical = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                    for r in deployment.deployed.resources.get(stack, [])}
        resources = template(outdir, stack)["Resources"]
        for spec in resources.values():
            if spec["Type"] != "AWS::Lambda::Function" or spec["Properties"].get("Runtime") != "python3.12":
                continue
            props = spec["Properties"]
            layer_paths = [outdir / resources[layer["Ref"]]["Metadata"]["aws:asset:path"] / "python"
                           for layer in props.get("Layers", [])]
            env = {k: resolve(v, physical) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
            name = resolve(props["FunctionName"], physical)
            service = env.get("COVID_ETL_SERVICE") or props["Handler"].split(".")[1]  # one handler serves all
            found[service] = Function(name, props["Handler"], [outdir / spec["Metadata"]["aws:asset:path"],
                                                               *layer_paths], env, int(props["MemorySize"]))
    return found


def resolve(value: Any, physical: dict[str, str]) -> str:
    """A template value with CloudFormation's Ref and Fn::Join worked out against the deployment."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        ref = value["Ref"]
        assert ref in PSEUDO or ref in physical, f"{ref} is neither a pseudo parameter nor deployed"
        return PSEUDO.get(ref) or physical[ref]
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(resolve(part, physical) for part in parts)
    raise AssertionError(f"an intrinsic this test does not resolve: {value}")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The runtime's own packages (boto3 and what it needs), as the Lambda runtime has them."""
    import boto3

    site, folder = Path(boto3.__file__).parents[1], tmp_path_factory.mktemp("runtime")
    for name in RUNTIME_PACKAGES:
        (folder / name).symlink_to(site / name)
    yield folder


def invoke(function: Function, event: dict[str, Any], runtime: Path, endpoint: str) -> dict[str, Any]:
    env = {**clean_env(), **function.env, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_LAMBDA_FUNCTION_NAME": function.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
           "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "_HANDLER": function.handler,
           "LAMBDA_TASK_ROOT": str(function.paths[0]), "AWS_ENDPOINT_URL": endpoint,  # the emulator
           # as Lambda sets it for an invocation of a traced function that X-Ray sampled out (no daemon here)
           "_X_AMZN_TRACE_ID": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"}
    env = {**{k: v for k, v in env.items() if not k.startswith("COVID_ETL_") or k in function.env},
           **OLD_DYNAMODB_LOCAL}
    argv = [str(python312()), "-I", "-S", str(HOST), function.handler, *map(str, function.paths),
            "--runtime", str(runtime)]
    done = subprocess.run(argv, input=json.dumps(event), capture_output=True, text=True, env=env, timeout=180,
                          cwd=function.paths[0])
    assert done.returncode == 0, f"{function.name}: {done.stderr[-4000:]}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def sqs_event(sqs: Any, queue_url: str, queue_arn: str) -> tuple[dict[str, Any], list[str]]:
    """The messages waiting on a queue as the event source mapping hands them to the function."""
    got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=10,
                              MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
    messages = got.get("Messages", [])
    assert messages, f"nothing on {queue_url}"
    records = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1"} for m in messages]
    return {"Records": records}, [m["ReceiptHandle"] for m in messages]


def test_every_python_function_is_found(functions: dict[str, Function]) -> None:
    assert set(functions) == {*QUEUES, "api"}
    for function in functions.values():
        code = function.paths[0]
        service = function.env.get("COVID_ETL_SERVICE", "api")  # the pipeline's functions share one entry
        assert (code / "services" / service / ("lambda_function.py" if service == "api" else "main.py")).is_file()
        assert not (code / "covid_etl").exists() and not (code / "tests").exists()  # its own asset only


def test_from_the_schedule_to_the_announcement_and_the_api(functions: dict[str, Function], deployment: Deployment,
                                                          localstack: Server, runtime: Path, tmp_path: Path) -> None:
    client, res = deployment.client, Resources(PREFIX)
    sqs = client("sqs")
    settings = {f"COVID_ETL_{q.upper()}_QUEUE_URL": deployment.deployed.outputs[f"{PREFIX}-{q}"]["QueueUrl"]
                for q in QUEUES}
    data = deployment.deployed.outputs[f"{PREFIX}-data"]
    stack = SplitStack.view(tmp_path, localstack.endpoint, {
        **settings, "COVID_ETL_TABLE": data["TableName"], "COVID_ETL_TOPIC_ARN": data["TopicArn"],
        "AWS_ENDPOINT_URL_DYNAMODB": localstack.endpoint})
    stack.subscribe()
    before = stack.table()
    deployment.sources.put_pair(fixtures.new_pair())

    rule_arn = client("events").describe_rule(Name=res.schedule_rule)["Arn"]
    scheduled = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": "000000000000", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "region": "us-east-1", "resources": [rule_arn], "detail": {}}
    sqs.send_message(QueueUrl=settings["COVID_ETL_EXTRACTOR_QUEUE_URL"], MessageBody=json.dumps(scheduled))
    for queue in QUEUES:  # each stage's batch is what the previous handler sent to its queue
        url = settings[f"COVID_ETL_{queue.upper()}_QUEUE_URL"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        event, receipts = sqs_event(sqs, url, arn)
        if queue == "extractor":  # the scheduled event sent above, and nothing else (no stray schedule)
            assert [json.loads(r["body"])["id"] for r in event["Records"]] == [scheduled["id"]]
        result = invoke(functions[queue], event, runtime, localstack.endpoint)
        assert result == {"batchItemFailures": []}, (queue, result)
        for receipt in receipts:  # the event source mapping deletes what the function did not report
            sqs.delete_message(QueueUrl=url, ReceiptHandle=receipt)

    runs = [r for r in stack.runs() if r["trigger"] == "schedule" and r["status"] != "running"]
    run = max(runs, key=lambda r: r["started_at"])
    assert run["status"] == "succeeded", run
    assert stack.table() == table_after(before, reference(fixtures.new_pair()))
    assert stack.notification(run["run_id"]).attributes["status"] == "succeeded"

    request = {"version": "2.0", "routeKey": "$default", "rawPath": "/api/v1/daily", "rawQueryString": "",
               "headers": {"host": "api.example", "accept": "application/json"}, "isBase64Encoded": False,
               "requestContext": {"http": {"method": "GET", "path": "/api/v1/daily", "protocol": "HTTP/1.1",
                                           "sourceIp": "127.0.0.1", "userAgent": "test"},
                                  "requestId": str(uuid.uuid4()), "stage": "$default", "routeKey": "$default"}}
    answer = invoke(functions["api"], request, runtime, localstack.endpoint)
    assert answer["statusCode"] == 200, answer
    body = answer["body"]
    if answer.get("isBase64Encoded"):
        import base64

        body = base64.b64decode(body).decode()
    assert [row["date"] for row in json.loads(body)["data"]] == [row[0] for row in stack.table()]
