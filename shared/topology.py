"""The pipeline's shape, declared once: its services, their stages and queues, resource names, defaults.

Each pipeline service is a `ServiceSpec`: the stage it runs, the queue it consumes (named after the
service), the queues it sends to, and the module that declares its handler and how its
dependencies are built (`services.<name>.main:service`). Resource names derive from the prefix in
`Resources`. Settings, provisioning, replay, the CLI, the fault harness, docker-compose's check and
the CDK app all read this module; nothing else writes a stage next to a queue, or a resource name.

Imports nothing but the standard library, so the CDK app and the tests can use it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Stage = Literal["extract", "transform", "load", "notify"]

DEFAULT_PREFIX = "covid-etl"
DEFAULT_VISIBILITY_TIMEOUT_S = 60
DEFAULT_MAX_RECEIVE_COUNT = 5
DLQ_RETENTION_S = 14 * 24 * 3600  # the longest SQS keeps a message
DAILY = "rate(1 day)"


@dataclass(frozen=True)
class ServiceSpec:
    """One pipeline service: what it runs, where it reads, where it sends, what it needs to run."""

    name: str  # the service, its queue and its package under services/
    stage: Stage
    sends_to: tuple[str, ...]  # the queues its outcomes go to
    memory_mb: int = 512
    batch_size: int = 1
    publishes: bool = False  # to the SNS topic

    @property
    def module(self) -> str:
        """The module whose `service` attribute is the running declaration (handler and deps)."""
        return f"services.{self.name}.main"


EXTRACTOR = ServiceSpec("extractor", "extract", ("transformer", "notifier"))
TRANSFORMER = ServiceSpec("transformer", "transform", ("loader", "notifier"), memory_mb=2048)
LOADER = ServiceSpec("loader", "load", ("notifier",), memory_mb=1024)
NOTIFIER = ServiceSpec("notifier", "notify", (), batch_size=10, publishes=True)  # it only announces

SERVICES: tuple[ServiceSpec, ...] = (EXTRACTOR, TRANSFORMER, LOADER, NOTIFIER)
STAGES: tuple[Stage, ...] = tuple(s.stage for s in SERVICES)
QUEUES: tuple[str, ...] = tuple(s.name for s in SERVICES)
ANNOUNCER = NOTIFIER  # the service every run's end is sent to


def service(name_or_stage: str) -> ServiceSpec:
    """The service named `extractor` or running stage `extract`; ValueError for neither."""
    for spec in SERVICES:
        if name_or_stage in (spec.name, spec.stage):
            return spec
    raise ValueError(f"unknown stage {name_or_stage!r}; use one of {', '.join(STAGES)}")


def dlq_of(queue_name: str) -> str:
    """The name of a queue's dead-letter queue."""
    return f"{queue_name}-dlq"


def queue_url_var(queue: str) -> str:
    """The environment variable that carries a queue's URL."""
    return f"COVID_ETL_{queue.upper()}_QUEUE_URL"


def dlq_url_var(queue: str) -> str:
    return f"COVID_ETL_{queue.upper()}_DLQ_URL"


@dataclass(frozen=True)
class Resources:
    """Every AWS resource name of one deployment, derived from its prefix."""

    prefix: str = DEFAULT_PREFIX
    visibility_timeout_s: int = DEFAULT_VISIBILITY_TIMEOUT_S
    max_receive_count: int = DEFAULT_MAX_RECEIVE_COUNT

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-data"

    @property
    def table(self) -> str:
        return self.prefix

    @property
    def topic(self) -> str:
        return f"{self.prefix}-runs"

    @property
    def alarm_topic(self) -> str:
        """The CloudWatch alarms' topic (AWS only), apart from the runs' announcements."""
        return f"{self.prefix}-alarms"

    @property
    def schedule_rule(self) -> str:
        return f"{self.prefix}-daily"

    @property
    def up_events(self) -> str:
        """`covid-etl up`'s own queue on the topic (covid_etl.local.watch): not a pipeline queue, never deployed."""
        return f"{self.prefix}-up-events"

    def queue(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def dlq(self, name: str) -> str:
        return dlq_of(self.queue(name))

    def function(self, name: str) -> str:
        return f"{self.prefix}-{name}"
