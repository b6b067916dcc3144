"""Typed settings, read from `COVID_ETL_*` environment variables and validated at start."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

NYT_URL = "https://raw.githubusercontent.com/nytimes/covid-19-data/master/us.csv"
JHU_URL = "https://raw.githubusercontent.com/datasets/covid-19/main/data/time-series-19-covid-combined.csv"

STAGE_QUEUES = ("extractor", "transformer", "loader", "notifier")


class Settings(BaseSettings):
    """Everything a service needs to know; AWS endpoints come from the standard AWS variables."""

    model_config = SettingsConfigDict(env_prefix="COVID_ETL_", extra="ignore")

    prefix: str = "covid-etl"

    nyt_url: str = NYT_URL
    jhu_url: str = JHU_URL
    join: Literal["inner", "nyt"] = "inner"

    http_timeout_s: float = 30.0
    http_retries: int = 4
    max_source_bytes: int = 64 * 1024 * 1024
    stale_after_days: int = 3

    bucket: str = ""
    table: str = ""
    topic_arn: str = ""
    extractor_queue_url: str = ""
    transformer_queue_url: str = ""
    loader_queue_url: str = ""
    notifier_queue_url: str = ""

    load_lock_wait_s: float = 30.0
    visibility_timeout_s: int = 60
    max_receive_count: int = 5
    log_level: str = "INFO"

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    @property
    def bucket_name(self) -> str:
        return self.bucket or self.name("data")

    @property
    def table_name(self) -> str:
        return self.table or self.prefix

    def queue_url(self, queue: str) -> str:
        url = getattr(self, f"{queue}_queue_url")
        if not url:
            raise RuntimeError(f"COVID_ETL_{queue.upper()}_QUEUE_URL is not set")
        return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
