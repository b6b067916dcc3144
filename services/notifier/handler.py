"""Notifier: one SNS message per run, and the run's final status in the ledger.

Published with MessageStructure=json: email subscribers get the readable text (`letter.text`),
queue, Lambda and HTTP subscribers the JSON body, which carries the same text beside the fields.
The `status` and `run_id` message attributes are kept for subscription filter policies."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from services.notifier import letter
from services.notifier.announce import stale_sources, summary
from shared import aws
from shared.ledger import Ledger, now_iso
from shared.messages import Message
from shared.metrics import record_run_outcome
from shared.queues import Publisher
from shared.runs import Run, RunEnd
from shared.stage import Outcome, run_stage


class Announcer(Protocol):
    """Publishes a run's announcement (SNS in production)."""

    def announce(self, subject: str, body: dict[str, Any]) -> None: ...


class SnsAnnouncer:
    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self.topic_arn = topic_arn
        self.sns = client or aws.client("sns")

    def announce(self, subject: str, body: dict[str, Any]) -> None:
        attributes = {"status": {"DataType": "String", "StringValue": body["status"]},
                      "run_id": {"DataType": "String", "StringValue": body["run_id"]}}
        per_protocol = {"default": json.dumps(body), "email": body["text"]}
        self.sns.publish(TopicArn=self.topic_arn, Subject=subject[:100], Message=json.dumps(per_protocol),
                         MessageStructure="json", MessageAttributes=attributes)


@dataclass
class Deps:
    ledger: Ledger
    publisher: Publisher
    announcer: Announcer
    stale_after_days: int = 3
    dashboard_url: str = ""  # linked from the text when set (COVID_ETL_DASHBOARD_URL)
    today: Callable[[], date] = lambda: datetime.now(UTC).date()


def handle(message: Message, deps: Deps) -> None:
    body = summary(message)
    body["warnings"] += stale_sources(body.get("sources") or [], deps.today(), deps.stale_after_days)
    if body["status"] != "succeeded":  # the table as it stands after a run that wrote nothing
        dataset = deps.ledger.dataset_version() or {}
        body.update(rows_total=dataset.get("rows_total", 0), unchanged=dataset.get("rows_total", 0),
                    first_date=dataset.get("first_date"), last_date=dataset.get("last_date"))

    final = {"error": None, "stage": None, "raw_keys": None,  # cleared when a replayed run succeeds
             **{k: v for k, v in body.items() if k not in ("text", "run_id")}}

    run = Run.model_validate({**final, "run_id": message.envelope.run_id})

    def notify() -> Outcome:
        deps.announcer.announce(letter.subject(run), letter.body(run, deps.dashboard_url))
        # before the claim completes: a redelivery after a failed write here announces and writes again
        deps.ledger.close(message.envelope.run_id, RunEnd(finished_at=now_iso(), **final))
        record_run_outcome(message.envelope.run_id, body["status"])
        return Outcome(None, None, {"status_announced": body["status"]})

    run_stage("notify", message, deps.ledger, deps.publisher, notify)
