"""One stack per pipeline service: its queue and dead-letter queue, its function, its alarm."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import InfraConfig
from infra.stacks import refs
from shared.topology import DAILY, DLQ_RETENTION_S, EXTRACTOR, SERVICES, ServiceSpec, queue_url_var

__all__ = ["SERVICES", "PipelineFunction", "ServiceSpec", "ServiceStack"]
DLQ_RETENTION = cdk.Duration.seconds(DLQ_RETENTION_S)


def own_settings(config: InfraConfig, stage: str) -> dict[str, str]:
    """Settings that only one service reads."""
    if stage == "extractor":
        return {"COVID_ETL_NYT_URL": config.nyt_url, "COVID_ETL_JHU_URL": config.jhu_url}
    if stage == "transformer":
        return {"COVID_ETL_JOIN": config.join}
    return {}


class PipelineFunction(Construct):
    """A service's queue with its DLQ, its function fed by an SQS event source, and least privilege."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, spec: ServiceSpec) -> None:
        super().__init__(scope, construct_id)
        res, stage = config.resources, spec.name
        self.dlq = sqs.Queue(self, "DeadLetterQueue", queue_name=res.dlq(stage),
                             retention_period=DLQ_RETENTION, enforce_ssl=True)
        self.queue = sqs.Queue(
            self, "Queue", queue_name=res.queue(stage), enforce_ssl=True,
            visibility_timeout=cdk.Duration.seconds(res.visibility_timeout_s),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=res.max_receive_count, queue=self.dlq),
        )
        targets_ = {name: self.queue if name == stage else refs.queue(self, f"{name}-queue", res.queue(name))
                    for name in spec.sends_to}
        table, bucket, topic = refs.table(self, res), refs.bucket(self, res), refs.topic(self, res)
        env = {
            "COVID_ETL_PREFIX": res.prefix, "COVID_ETL_TABLE": res.table, "COVID_ETL_BUCKET": res.bucket,
            "COVID_ETL_VISIBILITY_TIMEOUT_S": str(res.visibility_timeout_s),
            "COVID_ETL_MAX_RECEIVE_COUNT": str(res.max_receive_count),
            "POWERTOOLS_SERVICE_NAME": f"{res.prefix}-{stage}",
            **{queue_url_var(name): q.queue_url for name, q in targets_.items()},
            **own_settings(config, stage),
        }
        if spec.publishes:
            env["COVID_ETL_TOPIC_ARN"] = topic.topic_arn
        self.function = lambda_.Function(
            self, "Function", function_name=res.function(stage), runtime=refs.RUNTIME,
            handler=f"services.{stage}.lambda_function.handler", code=refs.code(),
            layers=[refs.layer(self, config.layer_dir)], architecture=lambda_.Architecture.X86_64,
            memory_size=spec.memory_mb, environment=env,
            # A sixth of the visibility timeout, so a message is never visible again while still in work.
            timeout=cdk.Duration.seconds(min(900, res.visibility_timeout_s // 6)),
            log_group=logs.LogGroup(self, "Logs", log_group_name=f"/aws/lambda/{res.prefix}-{stage}",
                                    retention=logs.RetentionDays.ONE_MONTH,
                                    removal_policy=cdk.RemovalPolicy.DESTROY),
        )
        self.function.add_event_source(sources.SqsEventSource(
            self.queue, batch_size=spec.batch_size, report_batch_item_failures=True))
        table.grant_read_write_data(self.function)  # run ledger, idempotency claims, series
        bucket.grant_read_write(self.function)  # raw files, datasets, message archive
        for q in targets_.values():
            q.grant_send_messages(self.function)
        if spec.publishes:
            topic.grant_publish(self.function)
        self.alarm = cloudwatch.Alarm(
            self, "DeadLettersAlarm", alarm_name=f"{res.prefix}-{stage}-dead-letters",
            alarm_description=f"Messages wait in {res.dlq(stage)}: `covid-etl replay --dlq {stage}` after a fix",
            metric=self.dlq.metric_approximate_number_of_messages_visible(
                period=cdk.Duration.minutes(5), statistic="Maximum"),
            threshold=1, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(topic))


class ServiceStack(cdk.Stack):
    """`cdk deploy -e <prefix>-<stage>` updates this service alone."""

    def __init__(self, scope: Construct, stack_id: str, *, config: InfraConfig, spec: ServiceSpec,
                 **kwargs: Any) -> None:
        super().__init__(scope, stack_id, description=f"covid-etl: the {spec.name} service", **kwargs)
        self.service = PipelineFunction(self, "Service", config=config, spec=spec)
        if spec.name == EXTRACTOR.name:
            self.rule = events.Rule(
                self, "Daily", rule_name=config.resources.schedule_rule, schedule=events.Schedule.expression(DAILY),
                enabled=config.schedule, description="Starts a run: a scheduled event on the extractor's queue")
            # The target's default input is the scheduled event itself, which the extractor accepts.
            self.rule.add_target(targets.SqsQueue(self.service.queue))
        cdk.CfnOutput(self, "QueueUrl", value=self.service.queue.queue_url)
        cdk.CfnOutput(self, "DeadLetterQueueUrl", value=self.service.dlq.queue_url)
        cdk.CfnOutput(self, "FunctionName", value=self.service.function.function_name)
