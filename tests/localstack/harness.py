"""The e2e harness's view of a stack whose table lives apart, on DynamoDB Local."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from support.stack import Stack


@dataclass(frozen=True)
class Server:
    """One of the session's servers (conftest.py): where it answers, and its log."""

    endpoint: str
    port: int
    log: Path
    dynamodb: str = ""  # LocalStack only: what serves its own DynamoDB, if it has one


class SplitStack(Stack):
    """The harness, reading the table from `AWS_ENDPOINT_URL_DYNAMODB` rather than from LocalStack."""

    @classmethod
    def view(cls, folder: Path, endpoint: str, env: dict[str, str]) -> SplitStack:
        """Only a view (table, runs, notifications) of resources that something else runs."""
        stack = cls(folder, {}, 0)
        stack.state = {"endpoint": endpoint, "env": env}
        return stack

    def _table(self) -> Any:
        resource = boto3.resource("dynamodb", endpoint_url=self.setting("AWS_ENDPOINT_URL_DYNAMODB"),
                                  region_name="us-east-1", aws_access_key_id="testing",
                                  aws_secret_access_key="testing")
        return resource.Table(self.setting("COVID_ETL_TABLE"))
