"""The one place AWS clients are built.

boto3 and aiobotocore both honour `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` by
themselves, so AWS, LocalStack and the embedded emulator differ only by environment. This module
adds the retry policy (standard mode, with backoff and jitter on throttling and 5xx) and timeouts.

The clients are typed by the `types-boto3-*` and `types-aiobotocore` stubs (dev only: imported under
TYPE_CHECKING, so neither the Lambda layers nor the images carry them); `client` takes the name of a
service the code base uses, and mypy knows what each call returns.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Literal, TypedDict, overload

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from aiobotocore.session import AioSession
    from types_boto3_dynamodb import DynamoDBClient
    from types_boto3_events import EventBridgeClient
    from types_boto3_s3 import S3Client
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient
    from types_boto3_ssm import SSMClient

Service = Literal["dynamodb", "events", "s3", "sns", "sqs", "ssm"]


class Retries(TypedDict, total=False):
    """botocore's `retries` setting."""

    max_attempts: int  # retries, not counting the first try
    total_max_attempts: int  # tries, the first one included
    mode: Literal["legacy", "standard", "adaptive"]


RETRIES: Retries = {"max_attempts": 8, "mode": "standard"}


def client_config(*, retries: Retries | None = None, connect_timeout: float = 5, read_timeout: float = 30) -> Config:
    return Config(retries=retries or RETRIES, connect_timeout=connect_timeout, read_timeout=read_timeout)


def region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"




@overload
def client(service: Literal["dynamodb"]) -> DynamoDBClient: ...
@overload
def client(service: Literal["events"]) -> EventBridgeClient: ...
@overload
def client(service: Literal["s3"]) -> S3Client: ...
@overload
def client(service: Literal["sns"]) -> SNSClient: ...
@overload
def client(service: Literal["sqs"]) -> SQSClient: ...
@overload
def client(service: Literal["ssm"]) -> SSMClient: ...
def client(service: Service) -> object:
    """A cached boto3 client for `service` (clients are thread-safe)."""
    return _cached(service)


@cache
def _cached(service: Service) -> object:
    return boto3.session.Session().client(service, region_name=region(), config=client_config())


def forget_clients() -> None:
    """Drop the cached clients: a process whose environment changed (tests) needs new ones."""
    _cached.cache_clear()


def clients_built() -> int:
    return _cached.cache_info().currsize


def lookup_client(service: Literal["ssm"]) -> SSMClient:
    """A client for a one-off question that must answer in seconds, even with no network:
    two attempts and a short connect timeout (the CLI looking for a deployed system)."""
    # total_max_attempts counts the first try; botocore's max_attempts counts retries only (2 made 3 tries)
    config = client_config(retries={"total_max_attempts": 2, "mode": "standard"}, connect_timeout=2, read_timeout=10)
    return boto3.session.Session().client(service, region_name=region(), config=config)


def async_session() -> AioSession:
    """An aiobotocore session, for the asyncio container worker."""
    from aiobotocore.session import get_session

    return get_session()
