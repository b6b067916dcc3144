"""Alarms that reach people: each one acts on the runs topic, whose policy and key let CloudWatch publish."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.metrics import DIMENSION, METRICS, NAMESPACE

ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
FIVE_MINUTES = cdk.Duration.minutes(5)
HOURS_WITHOUT_A_GOOD_RUN = 26  # the schedule is daily; two hours of slack for a slow or late run


def alarm(scope: Construct, construct_id: str, topic: sns.ITopic, *, name: str, description: str,
          metric: cloudwatch.IMetric, threshold: float = 1, periods: int = 1,
          operator: cloudwatch.ComparisonOperator = ABOVE,
          missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING) -> cloudwatch.Alarm:
    made = cloudwatch.Alarm(scope, construct_id, alarm_name=name, alarm_description=description, metric=metric,
                            threshold=threshold, evaluation_periods=periods, datapoints_to_alarm=periods,
                            comparison_operator=operator, treat_missing_data=missing)
    made.add_alarm_action(cw_actions.SnsAction(topic))
    return made


def dead_letters(scope: Construct, topic: sns.ITopic, prefix: str, service: str, dlq: sqs.IQueue) -> cloudwatch.Alarm:
    return alarm(scope, "DeadLettersAlarm", topic, name=f"{prefix}-{service}-dead-letters",
                 description=f"Messages wait in {dlq.queue_name}: see docs/runbook.md, then "
                             f"`covid-etl replay --dlq {service}` after a fix",
                 metric=dlq.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"))


def function_alarms(scope: Construct, topic: sns.ITopic, prefix: str, service: str,
                    function: lambda_.IFunction) -> list[cloudwatch.Alarm]:
    """Errors (an invocation raised or timed out) and throttles of one function."""
    return [
        alarm(scope, "ErrorsAlarm", topic, name=f"{prefix}-{service}-errors",
              description=f"The {service} function failed: see docs/runbook.md (logs by run id)",
              metric=function.metric_errors(period=FIVE_MINUTES, statistic="Sum")),
        alarm(scope, "ThrottlesAlarm", topic, name=f"{prefix}-{service}-throttles",
              description=f"The {service} function was throttled: see docs/runbook.md (concurrency)",
              metric=function.metric_throttles(period=FIVE_MINUTES, statistic="Sum")),
    ]


def run_metric(prefix: str, status: str, period: cdk.Duration) -> cloudwatch.Metric:
    """A run-outcome metric that `shared.metrics` emits (embedded metric format)."""
    return cloudwatch.Metric(namespace=NAMESPACE, metric_name=METRICS[status], dimensions_map={DIMENSION: prefix},
                             period=period, statistic="Sum")


def run_alarms(scope: Construct, topic: sns.ITopic, prefix: str) -> list[cloudwatch.Alarm]:
    """A failed run; and a day without a run that succeeded or found no change."""
    hour = cdk.Duration.hours(1)
    good = cloudwatch.MathExpression(expression="succeeded + no_change", period=hour, label="good runs",
                                     using_metrics={"succeeded": run_metric(prefix, "succeeded", hour),
                                                    "no_change": run_metric(prefix, "no_change", hour)})
    return [
        alarm(scope, "FailedRunAlarm", topic, name=f"{prefix}-run-failed",
              description="A run failed: its reason is in the announcement and in `covid-etl runs`; "
                          "see docs/runbook.md",
              metric=run_metric(prefix, "failed", FIVE_MINUTES)),
        alarm(scope, "NoGoodRunAlarm", topic, name=f"{prefix}-no-good-run",
              description=f"No run succeeded or found no change in {HOURS_WITHOUT_A_GOOD_RUN} hours: is the "
                          "schedule enabled, is the extractor's queue stuck? See docs/runbook.md",
              metric=good, threshold=1, periods=HOURS_WITHOUT_A_GOOD_RUN,
              operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
              missing=cloudwatch.TreatMissingData.BREACHING),
    ]
