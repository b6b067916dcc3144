"""One stack per pipeline service: its queue and dead-letter queue, its function, its alarms."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import InfraConfig
from infra.stacks import access, alarms, refs
from infra.stacks.assets import ARCHITECTURE, RUNTIME, Assets
from shared.sources import SOURCES
from shared.topology import DAILY, DLQ_RETENTION_S, EXTRACTOR, SERVICE_PARAMETERS, SERVICES, ServiceSpec, queue_url_var

__all__ = ["SERVICES", "PipelineFunction", "ServiceSpec", "ServiceStack"]
DLQ_RETENTION = cdk.Duration.seconds(DLQ_RETENTION_S)
LAMBDA_HANDLER = "shared.runtime.lambda_entry.handler"  # one for every service, named by COVID_ETL_SERVICE


def own_settings(config: InfraConfig, name: str) -> dict[str, str]:
    """Settings that only the service `name` reads."""
    if name == "extractor":
        return {s.url_var: config.source_urls[s.name] for s in SOURCES}
    if name == "transformer":
        return {"COVID_ETL_JOIN": config.join}
    if name == "notifier" and config.dashboard_url:
        return {"COVID_ETL_DASHBOARD_URL": config.dashboard_url}
    return {}


def log_group(scope: Construct, config: InfraConfig, name: str) -> logs.LogGroup:
    return logs.LogGroup(scope, "Logs", log_group_name=f"/aws/lambda/{config.prefix}-{name}",
                         retention=logs.RetentionDays.ONE_MONTH, removal_policy=cdk.RemovalPolicy.DESTROY)


class PipelineFunction(Construct):
    """A service's queue with its DLQ, its function fed by an SQS event source, and least privilege."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, spec: ServiceSpec,
                 assets: Assets) -> None:
        super().__init__(scope, construct_id)
        res, name = config.resources, spec.name  # the service, its queue, its function
        # Dead letters outlive a deleted stack in prod: redrive them to the redeployed queue.
        self.dlq = sqs.Queue(self, "DeadLetterQueue", queue_name=res.dlq(name), retention_period=DLQ_RETENTION,
                             encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                             removal_policy=config.removal)
        self.queue = sqs.Queue(
            self, "Queue", queue_name=res.queue(name), enforce_ssl=True, encryption=sqs.QueueEncryption.SQS_MANAGED,
            visibility_timeout=cdk.Duration.seconds(res.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=res.max_receive_count, queue=self.dlq),
        )
        targets_ = {name: refs.queue(self, f"{name}-queue", res.queue(name)) for name in spec.sends_to}
        table, bucket, topic = refs.table(self, config), refs.bucket(self, config), refs.topic(self, config)
        env = {
            "COVID_ETL_PREFIX": res.prefix, "COVID_ETL_TABLE": res.table, "COVID_ETL_BUCKET": bucket.bucket_name,
            "COVID_ETL_VISIBILITY_TIMEOUT_S": str(res.visibility_timeout_s),
            "COVID_ETL_MAX_RECEIVE_COUNT": str(res.max_receive_count),
            "POWERTOOLS_SERVICE_NAME": f"{res.prefix}-{name}", "COVID_ETL_SERVICE": name,
            **{queue_url_var(name): q.queue_url for name, q in targets_.items()},
            queue_url_var(name): self.queue.queue_url,  # its DLQ's URL derives from it
            **own_settings(config, name),
        }
        if spec.publishes:
            env["COVID_ETL_TOPIC_ARN"] = topic.topic_arn
        logs_ = log_group(self, config, name)
        role = access.function_role(self, logs_, res.prefix, name)
        self.function: lambda_.Function | None = None
        if config.functions:  # `-c functions=false`: no function, for LocalStack without Docker (tests/localstack)
            self.function = lambda_.Function(
                self, "Function", function_name=res.function(name), runtime=RUNTIME, architecture=ARCHITECTURE,
                role=role, log_group=logs_,
                handler=LAMBDA_HANDLER, code=assets.code(name),
                layers=assets.layers(self, name), memory_size=spec.memory_mb, environment=env,
                tracing=lambda_.Tracing.ACTIVE,  # X-Ray; a run's stages linked by AWSTraceHeader (shared/tracing.py)
                # A sixth of the visibility timeout, so a message is never visible again while still in work.
                timeout=cdk.Duration.seconds(min(900, res.visibility_timeout_s // 6)),
            )
            self.function.add_event_source(sources.SqsEventSource(
                self.queue, batch_size=spec.batch_size, report_batch_item_failures=True,
                max_concurrency=spec.max_concurrency))
        grantee: iam.IGrantable = self.function or role
        access.grant(grantee, spec, table, bucket)
        for q in [*targets_.values(), self.dlq]:  # its own DLQ: a poison message goes there at once
            q.grant_send_messages(grantee)
        if spec.publishes:
            topic.grant_publish(grantee)
            role.add_to_policy(iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[refs.topic_key_arn(self, config)]))
        self.alarm_topic = refs.alarm_topic(self, config)
        self.alarms = [*alarms.dead_letters(self, self.alarm_topic, res.prefix, name, self.dlq),
                       alarms.oldest_message(self, self.alarm_topic, res, name, self.queue)]
        if self.function:
            self.alarms += alarms.function_alarms(self, self.alarm_topic, res.prefix, name, self.function)


class ServiceStack(cdk.Stack):
    """`make deploy SERVICE=<name>` updates this service alone."""

    def __init__(self, scope: Construct, stack_id: str, *, config: InfraConfig, spec: ServiceSpec,
                 assets: Assets, **kwargs: Any) -> None:
        super().__init__(scope, stack_id, description=f"covid-etl: the {spec.name} service", **kwargs)
        self.service = PipelineFunction(self, "Service", config=config, spec=spec, assets=assets)
        if spec.name == EXTRACTOR.name:
            self.rule = events.Rule(
                self, "Daily", rule_name=config.resources.schedule_rule, schedule=events.Schedule.expression(DAILY),
                enabled=config.schedule, description="Starts a run: a scheduled event on the extractor's queue")
            # The target's default input is the scheduled event itself, which the extractor accepts.
            self.rule.add_target(targets.SqsQueue(self.service.queue))
            self.rule_alarm = alarms.schedule_failed(self, self.service.alarm_topic, config.prefix, self.rule)
        urls = {"queue-url": self.service.queue.queue_url, "dlq-url": self.service.dlq.queue_url}
        for key in SERVICE_PARAMETERS:  # what `covid_etl.deployed` reads back
            refs.publish(self, config, key, urls[key], spec.name)
        cdk.CfnOutput(self, "QueueUrl", value=self.service.queue.queue_url)
        cdk.CfnOutput(self, "DeadLetterQueueUrl", value=self.service.dlq.queue_url)
        if self.service.function:
            cdk.CfnOutput(self, "FunctionName", value=self.service.function.function_name)
