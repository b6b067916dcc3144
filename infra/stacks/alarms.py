"""Alarms that reach people: each one acts on the alarm topic, in ALARM and back to OK.

The alarm topic (`<prefix>-alarms`) is apart from the runs topic, so an alarm is not one more email
among the daily announcements; its policy and key let CloudWatch publish (infra/stacks/data.py).
What each alarm means and what to do: docs/runbook.md, alarm by alarm.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from shared.metrics import DIMENSION, METRICS, NAMESPACE
from shared.topology import Resources

ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
FIVE_MINUTES = cdk.Duration.minutes(5)
HOURS_WITHOUT_A_GOOD_RUN = 26  # the schedule is daily; two hours of slack for a slow or late run
API_P99_MS = 5000  # a cold start takes 1-2 s; three periods in a row above this is not one cold start
API_SLOW_PERIODS = 3


def alarm(scope: Construct, construct_id: str, topic: sns.ITopic, *, name: str, description: str,
          metric: cloudwatch.IMetric, threshold: float = 1, periods: int = 1,
          operator: cloudwatch.ComparisonOperator = ABOVE,
          missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING) -> cloudwatch.Alarm:
    """An alarm that tells the topic when it fires and when it is OK again (so a person knows the
    cause is gone, and that the next ALARM is news)."""
    made = cloudwatch.Alarm(scope, construct_id, alarm_name=name, alarm_description=description, metric=metric,
                            threshold=threshold, evaluation_periods=periods, datapoints_to_alarm=periods,
                            comparison_operator=operator, treat_missing_data=missing)
    made.add_alarm_action(cw_actions.SnsAction(topic))
    made.add_ok_action(cw_actions.SnsAction(topic))
    return made


def dead_letters(scope: Construct, topic: sns.ITopic, prefix: str, service: str,
                 dlq: sqs.IQueue) -> list[cloudwatch.Alarm]:
    """Messages wait in the DLQ; and new ones arrived. The first stays in ALARM while messages wait,
    so it tells of the first dead letter only; the second fires again for every later one."""
    depth = dlq.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum")
    # The depth's growth, not NumberOfMessagesSent: that does not count the messages a redrive policy
    # moves. FILL: an empty DLQ is inactive and sends no datapoint, so its first message has none to
    # compare with.
    arrived = cloudwatch.MathExpression(expression="DIFF(FILL(depth, 0))", using_metrics={"depth": depth},
                                        period=FIVE_MINUTES, label="dead letters arrived")
    replay = f"`covid-etl replay --dlq {service}` after a fix"
    return [
        alarm(scope, "DeadLettersAlarm", topic, name=f"{prefix}-{service}-dead-letters",
              description=f"Messages wait in {dlq.queue_name}: see docs/runbook.md, then {replay}", metric=depth),
        alarm(scope, "NewDeadLettersAlarm", topic, name=f"{prefix}-{service}-new-dead-letters",
              description=f"More messages arrived in {dlq.queue_name}: see docs/runbook.md, then {replay}",
              metric=arrived),
    ]


def oldest_message(scope: Construct, topic: sns.ITopic, res: Resources, service: str,
                   queue: sqs.IQueue) -> cloudwatch.Alarm:
    """A message waits longer than its retries could take: nobody receives from the queue."""
    # max_receive_count deliveries, each after a visibility timeout, end in the DLQ; one more of slack.
    limit_s = res.visibility_timeout_s * (res.max_receive_count + 1)
    return alarm(scope, "OldestMessageAlarm", topic, name=f"{res.prefix}-{service}-oldest-message",
                 description=f"A message waited over {limit_s} s in {queue.queue_name}: is its function "
                             "receiving? See docs/runbook.md",
                 metric=queue.metric_approximate_age_of_oldest_message(period=FIVE_MINUTES, statistic="Maximum"),
                 threshold=limit_s)


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


def api_alarms(scope: Construct, topic: sns.ITopic, prefix: str, http_api: apigw.IHttpApi) -> list[cloudwatch.Alarm]:
    """What users saw: 5xx answers (Flask answers an exception with a 500 from an invocation that
    succeeded, so the function's errors do not count it) and slow ones (p99 latency)."""
    return [
        alarm(scope, "ServerErrorsAlarm", topic, name=f"{prefix}-api-5xx",
              description="The API answered 5xx: see docs/runbook.md (access log, then the function's log)",
              metric=http_api.metric_server_error(period=FIVE_MINUTES, statistic="Sum")),
        alarm(scope, "LatencyAlarm", topic, name=f"{prefix}-api-latency",
              description=f"The API's p99 latency stayed above {API_P99_MS} ms for {API_SLOW_PERIODS * 5} minutes: "
                          "see docs/runbook.md",
              metric=http_api.metric_latency(period=FIVE_MINUTES, statistic="p99"),
              threshold=API_P99_MS, periods=API_SLOW_PERIODS,
              operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD),
    ]


def schedule_failed(scope: Construct, topic: sns.ITopic, prefix: str, rule: events.IRule) -> cloudwatch.Alarm:
    """The daily rule could not put its event on the extractor's queue: no run started."""
    metric = cloudwatch.Metric(namespace="AWS/Events", metric_name="FailedInvocations",
                               dimensions_map={"RuleName": rule.rule_name}, period=FIVE_MINUTES, statistic="Sum")
    return alarm(scope, "ScheduleFailedAlarm", topic, name=f"{prefix}-schedule-failed",
                 description="The daily rule failed to start a run (its target, the extractor's queue, refused "
                             "the event): see docs/runbook.md", metric=metric)


def table_throttled(scope: Construct, topic: sns.ITopic, prefix: str, table: dynamodb.ITable) -> cloudwatch.Alarm:
    """Reads or writes the table refused (on demand still throttles past twice its previous peak)."""
    # Read/WriteThrottleEvents carry the table alone as dimension; ThrottledRequests needs one metric
    # per operation.
    events_ = {kind: table.metric(f"{kind.capitalize()}ThrottleEvents", period=FIVE_MINUTES, statistic="Sum")
               for kind in ("read", "write")}
    throttled = cloudwatch.MathExpression(expression="read + write", using_metrics=events_, period=FIVE_MINUTES,
                                          label="throttled reads and writes")
    return alarm(scope, "TableThrottledAlarm", topic, name=f"{prefix}-table-throttled",
                 description="DynamoDB throttled reads or writes of the table: see docs/runbook.md",
                 metric=throttled)


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
