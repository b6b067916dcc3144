"""Typed settings, read from `COVID_ETL_*` environment variables and validated at start.

Resource names and defaults come from `shared.topology`; a name set in the environment (what `up`,
docker-compose and the CDK app pass) wins over the one derived from the prefix. The queue URLs are
one mapping, `queue_urls`, with a key per queue of the topology, read from
`COVID_ETL_<QUEUE>_QUEUE_URL` (`QueueUrlsSource`): a service added there needs no field here.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared import topology
from shared.sources import SOURCES, known
from shared.topology import Resources


class MissingSetting(RuntimeError):
    """A setting the command needs is not set (no local stack here and no AWS configuration)."""


class Settings(BaseSettings):
    """Everything a service needs to know; AWS endpoints come from the standard AWS variables."""

    model_config = SettingsConfigDict(env_prefix="COVID_ETL_", extra="ignore")

    prefix: str = topology.DEFAULT_PREFIX

    # each declared source's URL, from its own variable (`COVID_ETL_<NAME>_URL`, see `SourceUrls`)
    source_urls: dict[str, str] = {}
    join: Literal["inner", "nyt"] = "inner"

    http_timeout_s: float = 30.0
    http_retries: int = 4
    max_source_bytes: int = 64 * 1024 * 1024
    stale_after_days: int = 3
    dashboard_url: str = ""  # linked from the notifications when set; `up` sets its own

    bucket: str = ""
    table: str = ""
    topic_arn: str = ""
    queue_urls: dict[str, str] = Field(default_factory=dict)  # by queue (topology.QUEUES)

    load_lock_wait_s: float = 30.0
    # Actions per DynamoDB transaction: AWS allows 100; DynamoDB Local 1.x (the npm build) allows 10
    transaction_items: int = 100
    visibility_timeout_s: int = topology.DEFAULT_VISIBILITY_TIMEOUT_S
    max_receive_count: int = topology.DEFAULT_MAX_RECEIVE_COUNT
    log_level: str = "INFO"
    liveness_file: str = ""  # touched by a container worker while it polls (shared.runtime.liveness)

    # `covid-etl up`
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    emulator_port: int = 0
    schedule_seconds: float = 86400.0

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, SourceUrls(settings_cls), env_settings, QueueUrlsSource(settings_cls), dotenv_settings,
                file_secret_settings)

    @model_validator(mode="before")
    @classmethod
    def _queue_urls_by_name(cls, data: Any) -> Any:
        """`Settings(loader_queue_url=...)`, as the variables are named, fills `queue_urls` too."""
        if isinstance(data, dict):
            named = {q: data.pop(f"{q}_queue_url") for q in topology.QUEUES if f"{q}_queue_url" in data}
            if named:
                data["queue_urls"] = {**data.get("queue_urls", {}), **named}
        return data

    @model_validator(mode="after")
    def _every_source_has_a_url(self) -> Settings:
        for name in self.source_urls:
            known(name)
        self.source_urls = {s.name: self.source_urls.get(s.name) or s.default_url for s in SOURCES}
        return self

    @property
    def resources(self) -> Resources:
        return Resources(self.prefix, self.visibility_timeout_s, self.max_receive_count)

    @property
    def bucket_name(self) -> str:
        return self.bucket or self.resources.bucket

    @property
    def table_name(self) -> str:
        return self.table or self.resources.table

    def queue_url(self, queue: str) -> str:
        url = self.queue_urls.get(queue, "")
        if not url:
            raise MissingSetting(f"{topology.queue_url_var(queue)} is not set")
        return url

    def dlq_url(self, queue: str) -> str:
        """A queue's DLQ sits beside it: same endpoint and account, the name `topology.dlq_of` gives."""
        base, name = self.queue_url(queue).rstrip("/").rsplit("/", 1)
        return f"{base}/{topology.dlq_of(name)}"


class QueueUrlsSource(PydanticBaseSettingsSource):
    """`queue_urls` from `COVID_ETL_<QUEUE>_QUEUE_URL`, one variable per queue of the topology."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is read at once, in __call__

    def __call__(self) -> dict[str, Any]:
        urls = {q: os.environ[topology.queue_url_var(q)] for q in topology.QUEUES
                if os.environ.get(topology.queue_url_var(q))}
        return {"queue_urls": urls} if urls else {}


class SourceUrls(PydanticBaseSettingsSource):
    """Reads `source_urls` from each declared source's variable; a URL given to `Settings(...)` wins."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        urls = {s.name: os.environ[s.url_var] for s in SOURCES if os.environ.get(s.url_var)}
        return {"source_urls": urls} if urls else {}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
