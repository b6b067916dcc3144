"""References by name to resources of other stacks, and the SSM parameters that describe a deployment.

A name-based reference (instead of a CloudFormation export) keeps stacks independent: a service
stack can be updated, or deleted and redeployed, without touching the stacks it sends to. The one
value that cannot be named in advance, the topic's KMS key, is read from its SSM parameter at deploy.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import InfraConfig
from shared.topology import parameter_name

KEY_ARN = "key-arn"  # the topic's KMS key, for the notifier's grant (not a CLI setting)


def queue(scope: Construct, construct_id: str, name: str) -> sqs.IQueue:
    stack = cdk.Stack.of(scope)
    arn = stack.format_arn(service="sqs", resource=name, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
    url = f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/{name}"
    return sqs.Queue.from_queue_attributes(scope, construct_id, queue_arn=arn, queue_url=url, queue_name=name)


def table(scope: Construct, config: InfraConfig) -> dynamodb.ITable:
    return dynamodb.Table.from_table_name(scope, "Table", config.resources.table)


def bucket(scope: Construct, config: InfraConfig) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(scope, "Bucket", config.bucket_name(cdk.Stack.of(scope)))


def topic(scope: Construct, config: InfraConfig) -> sns.ITopic:
    """The runs topic (the notifier's announcements)."""
    arn = cdk.Stack.of(scope).format_arn(service="sns", resource=config.resources.topic,
                                         arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
    return sns.Topic.from_topic_arn(scope, "Topic", arn)


def alarm_topic(scope: Construct, config: InfraConfig) -> sns.ITopic:
    """The topic every alarm acts on."""
    arn = cdk.Stack.of(scope).format_arn(service="sns", resource=config.resources.alarm_topic,
                                         arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
    return sns.Topic.from_topic_arn(scope, "AlarmTopic", arn)


def topic_key_arn(scope: Construct, config: InfraConfig) -> str:
    """The topic key's ARN, resolved from SSM when the stack deploys."""
    return ssm.StringParameter.value_for_string_parameter(scope, parameter_name(config.prefix, KEY_ARN))


def publish(scope: Construct, config: InfraConfig, key: str, value: str, stage: str | None = None) -> None:
    """An SSM parameter that the CLI reads to find this deployment (`covid_etl.deployed`)."""
    ssm.StringParameter(scope, f"Param-{stage or 'data'}-{key}", string_value=value,
                        parameter_name=parameter_name(config.prefix, key, stage),
                        description=f"covid-etl {config.prefix}: {key}")
