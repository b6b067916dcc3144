"""The one place AWS clients are built.

boto3 and aiobotocore both honour `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` by
themselves, so AWS, LocalStack and the embedded emulator differ only by environment. This module
adds the retry policy (standard mode, with backoff and jitter on throttling and 5xx) and timeouts.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

RETRIES = {"max_attempts": 8, "mode": "standard"}


def client_config(**overrides: Any) -> Config:
    return Config(
        retries=overrides.pop("retries", RETRIES),
        connect_timeout=overrides.pop("connect_timeout", 5),
        read_timeout=overrides.pop("read_timeout", 30),
        **overrides,
    )


def region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"


@cache
def client(service: str) -> Any:
    """A cached boto3 client for `service` (clients are thread-safe)."""
    return boto3.session.Session().client(service, region_name=region(), config=client_config())


def lookup_client(service: str) -> Any:
    """A client for a one-off question that must answer in seconds, even with no network:
    two attempts and a short connect timeout (the CLI looking for a deployed system)."""
    # total_max_attempts counts the first try; botocore's max_attempts counts retries only (2 made 3 tries)
    config = client_config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=10)
    return boto3.session.Session().client(service, region_name=region(), config=config)


def async_session() -> Any:
    """An aiobotocore session, for the asyncio container worker."""
    from aiobotocore.session import get_session

    return get_session()
