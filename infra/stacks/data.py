"""The data stack: the one table, the bucket and the runs topic that every service shares."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import InfraConfig

ARCHIVE_DAYS = 90
TTL_ATTRIBUTE = "expires_at"  # idempotency claims expire by themselves


class DataStack(cdk.Stack):
    """Stateful resources, kept (RETAIN) when the stack is deleted."""

    def __init__(self, scope: Construct, stack_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, stack_id, description="covid-etl: table, bucket and runs topic", **kwargs)
        res = config.resources
        self.table = dynamodb.Table(
            self, "Table", table_name=res.table,
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            time_to_live_attribute=TTL_ATTRIBUTE,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.bucket = s3.Bucket(
            self, "Bucket", bucket_name=res.bucket,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-archive", prefix="archive/", expiration=cdk.Duration.days(ARCHIVE_DAYS)),
                s3.LifecycleRule(id="abort-uploads", abort_incomplete_multipart_upload_after=cdk.Duration.days(7)),
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.topic = sns.Topic(self, "Topic", topic_name=res.topic, display_name="covid-etl runs", enforce_ssl=True)
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        cdk.CfnOutput(self, "TableName", value=self.table.table_name)
        cdk.CfnOutput(self, "BucketName", value=self.bucket.bucket_name)
        cdk.CfnOutput(self, "TopicArn", value=self.topic.topic_arn)
