"""Typed settings, read from `COVID_ETL_*` environment variables and validated at start.

Resource names and defaults come from `shared.topology`; a name set in the environment (what `up`,
docker-compose and the CDK app pass) wins over the one derived from the prefix.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, Literal

from pydantic import model_validator
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
    extractor_queue_url: str = ""
    transformer_queue_url: str = ""
    loader_queue_url: str = ""
    notifier_queue_url: str = ""

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
        return init_settings, SourceUrls(settings_cls), env_settings, dotenv_settings, file_secret_settings

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
        url = str(getattr(self, f"{queue}_queue_url"))
        if not url:
            raise MissingSetting(f"{topology.queue_url_var(queue)} is not set")
        return url

    def dlq_url(self, queue: str) -> str:
        """A queue's DLQ sits beside it: same endpoint and account, the name `topology.dlq_of` gives."""
        base, name = self.queue_url(queue).rstrip("/").rsplit("/", 1)
        return f"{base}/{topology.dlq_of(name)}"


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
