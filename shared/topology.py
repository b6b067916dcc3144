"""The pipeline's shape, declared once: its services, their stages and queues, resource names, defaults.

Each pipeline service is a `ServiceSpec`: the stage it runs, the queue it consumes (named after the
service), the queues it sends to, the module that declares its handler and how its dependencies
are built (`services.<name>.main:service`), and what it needs to run anywhere: its access to the
table's partitions and the bucket's prefixes (`shared.layout`), its Lambda layers, memory and
concurrency, its Docker target and container command, its SSM parameters. The API is a
`FunctionSpec` (no stage, no queue). Resource names derive from the prefix in `Resources`.
Settings (the queue URLs), provisioning, replay, the CLI, the API's stage list, the fault harness,
docker-compose's check and the CDK app (roles, layers, functions) all read this module; nothing
else writes a per-service fact, a stage next to a queue, or a resource name.

Imports nothing but the standard library, so the CDK app and the tests can use it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.layout import (
    ANY_REVISION,
    ANY_SERIES,
    ARCHIVE,
    DATASETS,
    IDEM_PK,
    IMAGES,
    LOAD_PK,
    LOCK_PK,
    META_PK,
    RAW,
    RUN_PK,
    SOURCE_PK,
)

Stage = Literal["extract", "transform", "load", "notify"]

DEFAULT_PREFIX = "covid-etl"
DEFAULT_VISIBILITY_TIMEOUT_S = 60
DEFAULT_MAX_RECEIVE_COUNT = 5
DLQ_RETENTION_S = 14 * 24 * 3600  # the longest SQS keeps a message
DAILY = "rate(1 day)"


@dataclass(frozen=True)
class Access:
    """What a function may touch: table partitions (`shared.layout`'s `*_PK`, or a pattern such as
    `ANY_SERIES`: `*` matches any characters, as IAM's `StringLike` does) and bucket key prefixes."""

    reads: tuple[str, ...] = ()  # partitions read (GetItem, Query)
    writes: tuple[str, ...] = ()  # partitions written (Put, Update, BatchWrite, ConditionCheck)
    gets: tuple[str, ...] = ()  # key prefixes read (GetObject, HeadObject)
    puts: tuple[str, ...] = ()  # key prefixes written
    lists: bool = False  # calls `BlobStore.exists`: a HeadObject on a missing key must answer 404, not 403


@dataclass(frozen=True, kw_only=True)
class FunctionSpec:
    """What any of the system's functions needs to run: its code, layers, memory and access.

    `name` is its package under services/, its Lambda function, its Docker target and its
    docker-compose service."""

    name: str
    access: Access
    layers: tuple[str, ...] = ("base",)  # Lambda layers (infra/layers/<name>.txt); the image installs the same
    memory_mb: int = 512

    @property
    def docker_target(self) -> str:
        """The Dockerfile target that builds its image (`covid-etl-<target>:local` in docker-compose.yml)."""
        return self.name


@dataclass(frozen=True, kw_only=True)
class ServiceSpec(FunctionSpec):
    """One pipeline service: what it runs, where it reads, where it sends, what it needs to run."""

    stage: Stage
    sends_to: tuple[str, ...]  # the queues its outcomes go to
    batch_size: int = 1
    publishes: bool = False  # to the SNS topic
    max_concurrency: int | None = None  # of its SQS event source on AWS (None: as many as Lambda gives)

    @property
    def module(self) -> str:
        """The module whose `service` attribute is the running declaration (handler and deps)."""
        return f"services.{self.name}.main"

    @property
    def command(self) -> tuple[str, ...]:
        """Its container's command (docker-compose.yml, the Dockerfile's CMD)."""
        return ("python", "-m", "shared.runtime", self.name)


# Every stage records its run and claims its messages (`shared.stage`, `shared.idempotency`); a stage
# that ends a run closes it with the table as it stands (the dataset item, META).
_STAGE = (RUN_PK, IDEM_PK)
EXTRACTOR = ServiceSpec(
    name="extractor", stage="extract", sends_to=("transformer", "notifier"),
    access=Access(reads=(*_STAGE, SOURCE_PK, META_PK), writes=_STAGE, gets=(RAW,), puts=(RAW, ARCHIVE), lists=True))
TRANSFORMER = ServiceSpec(
    name="transformer", stage="transform", sends_to=("loader", "notifier"), memory_mb=2048, layers=("base", "data"),
    access=Access(reads=(*_STAGE, META_PK), writes=_STAGE, gets=(RAW,), puts=(DATASETS, ARCHIVE)))
# Loads wait on one lease (shared/lock.py): more pollers would only burn receives while they wait.
# 2 is the least an SQS event source allows; the lease stays what keeps loads apart. It reads every
# region's rows only when the table image (`images/`, its diff base) cannot be used; it writes rows,
# revisions, the catalogue and marker (META) and one `load` item per commit (docs/regions.md).
LOADER = ServiceSpec(
    name="loader", stage="load", sends_to=("notifier",), memory_mb=1024, max_concurrency=2,
    access=Access(reads=(*_STAGE, ANY_SERIES, META_PK, LOCK_PK),
                  writes=(*_STAGE, ANY_SERIES, ANY_REVISION, SOURCE_PK, META_PK, LOCK_PK, LOAD_PK),
                  gets=(DATASETS, IMAGES), puts=(IMAGES, ARCHIVE)))
NOTIFIER = ServiceSpec(  # it only announces
    name="notifier", stage="notify", sends_to=(), batch_size=10, publishes=True,
    access=Access(reads=(*_STAGE, META_PK), writes=_STAGE, puts=(ARCHIVE,)))
# it only reads: every region's rows and revisions, the loads (a revision's sources), the catalogue (META)
API = FunctionSpec(name="api", memory_mb=1024, layers=("base", "web"),
                   access=Access(reads=(ANY_SERIES, ANY_REVISION, LOAD_PK, RUN_PK, SOURCE_PK, META_PK)))

SERVICES: tuple[ServiceSpec, ...] = (EXTRACTOR, TRANSFORMER, LOADER, NOTIFIER)
FUNCTIONS: tuple[FunctionSpec, ...] = (*SERVICES, API)
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


# The SSM parameters a service's stack writes under `/<prefix>/<service>/`, and the variable each sets
SERVICE_PARAMETERS = {"queue-url": queue_url_var, "dlq-url": dlq_url_var}


def parameter_name(prefix: str, key: str, service: str | None = None) -> str:
    """`/<prefix>/<key>` for the data stack's settings, `/<prefix>/<service>/<key>` for a service's."""
    return f"/{prefix}/{service}/{key}" if service else f"/{prefix}/{key}"


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
