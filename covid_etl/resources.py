"""Provisioning of the pipeline's AWS resources on an emulator.

Used by `covid-etl up` (moto or LocalStack) and by the tests. The names come from
`shared.topology.Resources`, which the CDK app in `infra/` uses for AWS too.
"""

from __future__ import annotations

import json

from shared import aws
from shared.topology import DAILY, DLQ_RETENTION_S, EXTRACTOR, QUEUES, Resources, dlq_url_var, queue_url_var

__all__ = ["DAILY", "Resources", "provision"]


def provision(res: Resources) -> dict[str, str]:
    """Create every resource if missing (idempotent); return the settings environment for them."""
    env = {"COVID_ETL_PREFIX": res.prefix, "COVID_ETL_BUCKET": res.bucket, "COVID_ETL_TABLE": res.table}
    _bucket(res.bucket)
    _table(res.table)
    env["COVID_ETL_TOPIC_ARN"] = aws.client("sns").create_topic(Name=res.topic)["TopicArn"]
    sqs = aws.client("sqs")
    for queue in QUEUES:
        dlq_url = sqs.create_queue(QueueName=res.dlq(queue),
                                   Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_S)})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(res.max_receive_count)}
        url = sqs.create_queue(QueueName=res.queue(queue), Attributes={
            "VisibilityTimeout": str(res.visibility_timeout_s), "RedrivePolicy": json.dumps(redrive)})["QueueUrl"]
        env[queue_url_var(queue)] = url
        env[dlq_url_var(queue)] = dlq_url
    _schedule(res, env[queue_url_var(EXTRACTOR.name)])
    return env


def _bucket(name: str) -> None:
    s3 = aws.client("s3")
    try:
        s3.head_bucket(Bucket=name)
    except s3.exceptions.ClientError:
        s3.create_bucket(Bucket=name)


def _table(name: str) -> None:
    ddb = aws.client("dynamodb")
    if name in ddb.list_tables()["TableNames"]:
        return
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def _schedule(res: Resources, queue_url: str) -> None:
    """The daily EventBridge rule that puts a scheduled event on the extractor's queue."""
    sqs, events = aws.client("sqs"), aws.client("events")
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule_arn = events.put_rule(Name=res.schedule_rule, ScheduleExpression=DAILY, State="ENABLED")["RuleArn"]
    policy: dict[str, object] = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    events.put_targets(Rule=res.schedule_rule, Targets=[{"Id": "extractor-queue", "Arn": queue_arn}])
