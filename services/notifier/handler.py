"""Notifier: one SNS message per run, said from the run's record. It only announces: the stage
runtime closed the run before the event that ended it reached this queue.

Published with MessageStructure=json: email subscribers get the readable text (`letter.text`),
queue, Lambda and HTTP subscribers the JSON body, which carries the same text beside the fields.
The `status` and `run_id` message attributes are kept for subscription filter policies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from services.notifier import letter
from shared import aws
from shared.messages import Message
from shared.run_end import is_terminal
from shared.stage import Outcome, StageDeps, run_stage
from shared.topology import NOTIFIER

if TYPE_CHECKING:
    from types_boto3_sns import SNSClient
    from types_boto3_sns.type_defs import MessageAttributeValueTypeDef


class Announcer(Protocol):
    """Publishes a run's announcement (SNS in production)."""

    def announce(self, subject: str, body: dict[str, object]) -> None: ...


class SnsAnnouncer:
    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self.sns = client or aws.client("sns")

    def announce(self, subject: str, body: dict[str, object]) -> None:
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            key: {"DataType": "String", "StringValue": str(body[key])} for key in ("status", "run_id")}
        per_protocol = {"default": json.dumps(body), "email": body["text"]}
        self.sns.publish(TopicArn=self.topic_arn, Subject=subject[:100], Message=json.dumps(per_protocol),
                         MessageStructure="json", MessageAttributes=attributes)


@dataclass(kw_only=True)
class Deps(StageDeps):
    announcer: Announcer
    dashboard_url: str = ""  # linked from the text when set (COVID_ETL_DASHBOARD_URL)


def handle(message: Message, deps: Deps) -> None:
    assert is_terminal(message.payload)
    run_id = message.envelope.run_id

    def announce() -> Outcome:
        run = deps.ledger.get(run_id)
        if run is None or not run.ended:  # cannot happen while the runtime closes runs first; retried
            raise RuntimeError(f"run {run_id} has not ended in the ledger")
        deps.announcer.announce(letter.subject(run), letter.body(run, deps.dashboard_url))
        return Outcome(None)

    run_stage(NOTIFIER, message, deps, announce)
