"""The data stack: the one table, the bucket, the runs and alarm topics with their key, the run alarms.

`-c stage=dev` (the default) deletes the data with the stack, so a destroy leaves nothing in the way
of the next deploy; `-c stage=prod` keeps the table, the bucket and the key, and protects the table.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import InfraConfig
from infra.stacks import alarms, refs
from infra.stacks.access import role_name
from shared.layout import ARCHIVE, IMAGES

ARCHIVE_DAYS = 90
# Table images (the loader's diff base) are content-addressed and one is written per load: each expires
# 30 days after it was last written. Safe: a load whose image has expired reads the table instead
# (docs/regions.md); the bucket is not versioned, so there are no noncurrent versions to expire.
IMAGES_DAYS = 30
TTL_ATTRIBUTE = "expires_at"  # idempotency claims expire by themselves
CLOUDWATCH = iam.ServicePrincipal("cloudwatch.amazonaws.com")


class DataStack(cdk.Stack):
    def __init__(self, scope: Construct, stack_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, stack_id, description="covid-etl: table, bucket, topics and run alarms", **kwargs)
        res = config.resources
        self.table = dynamodb.Table(
            self, "Table", table_name=res.table,
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            time_to_live_attribute=TTL_ATTRIBUTE, deletion_protection=config.prod, removal_policy=config.removal,
        )
        self.bucket = s3.Bucket(
            self, "Bucket", bucket_name=config.bucket_name(self),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True, versioned=False, removal_policy=config.removal, auto_delete_objects=not config.prod,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-archive", prefix=ARCHIVE, expiration=cdk.Duration.days(ARCHIVE_DAYS)),
                s3.LifecycleRule(id="expire-images", prefix=IMAGES, expiration=cdk.Duration.days(IMAGES_DAYS)),
                s3.LifecycleRule(id="abort-uploads", abort_incomplete_multipart_upload_after=cdk.Duration.days(7)),
            ],
        )
        self.key = self._topic_key(config)
        self.topic = self._topic("Topic", res.topic, "covid-etl runs", config.runs_email)
        # Alarms have their own topic: an alarm is not one more email among the daily announcements.
        self.alarm_topic = self._topic("AlarmTopic", res.alarm_topic, "covid-etl alarms", config.alarm_email)
        # enforce_ssl's policy only denies; without this Allow, CloudWatch cannot publish alarms
        self.alarm_topic.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchAlarms", principals=[CLOUDWATCH], actions=["sns:Publish"],
            resources=[self.alarm_topic.topic_arn],
            conditions={"StringEquals": {"aws:SourceAccount": self.account}, "ArnLike": {
                "aws:SourceArn": f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:*"}}))
        if config.prod and not config.alarm_email:
            cdk.Annotations.of(self).add_warning_v2(
                "covid-etl:no-alarm-email", f"no alarm_email in infra/stages/{config.stage}.json: alarms reach no one")
        self.alarms = [*alarms.run_alarms(self, self.alarm_topic, config.prefix),
                       alarms.table_throttled(self, self.alarm_topic, config.prefix, self.table)]
        for key, value in (("table", self.table.table_name), ("bucket", self.bucket.bucket_name),
                           ("topic-arn", self.topic.topic_arn), (refs.KEY_ARN, self.key.key_arn)):
            refs.publish(self, config, key, value)
        cdk.CfnOutput(self, "TableName", value=self.table.table_name)
        cdk.CfnOutput(self, "BucketName", value=self.bucket.bucket_name)
        cdk.CfnOutput(self, "TopicArn", value=self.topic.topic_arn)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)

    def _topic(self, construct_id: str, name: str, display_name: str, email: str) -> sns.Topic:
        """A topic encrypted with the one key, TLS only, with the stage file's email subscribed."""
        topic = sns.Topic(self, construct_id, topic_name=name, display_name=display_name, master_key=self.key,
                          enforce_ssl=True)
        if email:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        return topic

    def _topic_key(self, config: InfraConfig) -> kms.Key:
        """The topics' key (one key for both, $1 a month each): the account administers it; CloudWatch
        may use it to publish alarms."""
        key = kms.Key(self, "TopicKey", alias=f"alias/{config.prefix}-runs", enable_key_rotation=True,
                      description="covid-etl: encrypts the runs and alarm topics", removal_policy=config.removal,
                      pending_window=cdk.Duration.days(7))
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowCloudWatchAlarms", principals=[CLOUDWATCH], actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"]))  # in a key policy, "*" is this key
        # the notifier publishes to the encrypted topic; its role is in its own stack, named in advance
        notifier = f"arn:{self.partition}:iam::{self.account}:role/{role_name(config.prefix, 'notifier', self.region)}"
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowTheNotifierThroughSns", principals=[iam.AccountRootPrincipal()],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
            conditions={"ArnEquals": {"aws:PrincipalArn": notifier},
                        "StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"}}))
        return key
