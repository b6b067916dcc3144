"""Alarms that reach people: on each DLQ (waiting, and arriving), each queue's oldest message, each
function's errors and throttles, the API's 5xx and latency, the schedule, the table's throttling, a
failed run, a day without a good run; all on the alarm topic, in ALARM and back to OK; the topic's
policy and key let CloudWatch publish."""

from __future__ import annotations

from typing import Any

import pytest

from shared.metrics import METRICS, NAMESPACE
from tests.infra.cfn import RES, STAGES, Synth, arn_name, as_list, flat

FUNCTIONS = ("extractor", "transformer", "loader", "notifier", "api")


def alarms(synth: Synth, stack: str) -> dict[str, dict]:
    found = synth.resources(stack, "AWS::CloudWatch::Alarm").values()
    return {a["Properties"]["AlarmName"]: a["Properties"] for a in found}


def topic_id(synth: Synth, name: str) -> str:
    (found,) = [k for k, v in synth.json("data")["Resources"].items()
                if v["Type"] == "AWS::SNS::Topic" and v["Properties"]["TopicName"] == name]
    return found


def acts_on_the_alarm_topic(synth: Synth, stack: str, alarm: dict) -> bool:
    """Its ALARM and its OK both go to `<prefix>-alarms`, and nowhere else."""
    if stack == "data":  # the topic is in this stack
        ref = [{"Ref": topic_id(synth, RES.alarm_topic)}]
        return bool(alarm["AlarmActions"] == alarm["OKActions"] == ref)
    return all([arn_name(a) for a in alarm[key]] == [RES.alarm_topic] for key in ("AlarmActions", "OKActions"))


def metric_of(alarm: dict) -> tuple[str, str, str]:
    return alarm["Namespace"], alarm["MetricName"], alarm.get("Statistic") or alarm["ExtendedStatistic"]


def dimension(alarm: dict, resources: dict[str, Any]) -> str:
    (only,) = alarm["Dimensions"]
    return arn_name(only["Value"], resources)


@pytest.mark.parametrize("stack", FUNCTIONS)
def test_each_function_alarms_on_errors_and_throttles(synth: Synth, stack: str) -> None:
    found = alarms(synth, stack)
    for kind, metric in (("errors", "Errors"), ("throttles", "Throttles")):
        alarm = found[f"covid-etl-{stack}-{kind}"]
        assert metric_of(alarm) == ("AWS/Lambda", metric, "Sum")
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert acts_on_the_alarm_topic(synth, stack, alarm)
    expected = {f"covid-etl-{stack}-{kind}" for kind in ("errors", "throttles")}
    if stack == "api":
        expected |= {"covid-etl-api-5xx", "covid-etl-api-latency"}
    else:
        expected |= {f"covid-etl-{stack}-{kind}" for kind in ("dead-letters", "new-dead-letters", "oldest-message")}
    if stack == "extractor":
        expected.add("covid-etl-schedule-failed")
    assert set(found) == expected


@pytest.mark.parametrize("stack", STAGES)
def test_dead_letters_alarm_while_they_wait_and_again_when_more_arrive(synth: Synth, stack: str) -> None:
    found, resources = alarms(synth, stack), synth.json(stack)["Resources"]
    waiting = found[f"covid-etl-{stack}-dead-letters"]
    assert metric_of(waiting) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum")
    assert dimension(waiting, resources) == RES.dlq(stack) and waiting["Threshold"] == 1
    arriving = found[f"covid-etl-{stack}-new-dead-letters"]
    (expression,) = [m for m in arriving["Metrics"] if m.get("ReturnData")]
    (depth,) = [m for m in arriving["Metrics"] if "MetricStat" in m]
    # the depth's growth: a redrive policy's moves are not in NumberOfMessagesSent
    assert expression["Expression"] == f"DIFF(FILL({depth['Id']}, 0))"
    stat = depth["MetricStat"]
    assert (stat["Metric"]["MetricName"], stat["Stat"], stat["Period"]) == (
        "ApproximateNumberOfMessagesVisible", "Maximum", 300)
    assert arn_name(stat["Metric"]["Dimensions"][0]["Value"], resources) == RES.dlq(stack)
    assert arriving["Threshold"] == 1 and arriving["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert acts_on_the_alarm_topic(synth, stack, waiting) and acts_on_the_alarm_topic(synth, stack, arriving)


@pytest.mark.parametrize("stack", STAGES)
def test_a_message_older_than_its_retries_raises_an_alarm(synth: Synth, stack: str) -> None:
    alarm = alarms(synth, stack)[f"covid-etl-{stack}-oldest-message"]
    assert metric_of(alarm) == ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum")
    assert dimension(alarm, synth.json(stack)["Resources"]) == RES.queue(stack)
    assert alarm["Threshold"] == RES.visibility_timeout_s * (RES.max_receive_count + 1)  # 36 minutes
    assert acts_on_the_alarm_topic(synth, stack, alarm)


def test_the_schedule_failing_to_start_a_run_raises_an_alarm(synth: Synth) -> None:
    alarm = alarms(synth, "extractor")["covid-etl-schedule-failed"]
    assert metric_of(alarm) == ("AWS/Events", "FailedInvocations", "Sum")
    (rule_id,) = synth.resources("extractor", "AWS::Events::Rule")
    assert alarm["Dimensions"] == [{"Name": "RuleName", "Value": {"Ref": rule_id}}]
    assert alarm["Threshold"] == 1 and acts_on_the_alarm_topic(synth, "extractor", alarm)


def test_table_throttling_raises_an_alarm(synth: Synth) -> None:
    alarm = alarms(synth, "data")["covid-etl-table-throttled"]
    (expression,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
    assert expression["Expression"] == "read + write"
    (table_id,) = synth.resources("data", "AWS::DynamoDB::Table")
    for metric in (m for m in alarm["Metrics"] if "MetricStat" in m):
        stat = metric["MetricStat"]
        assert stat["Metric"]["MetricName"] == {"read": "ReadThrottleEvents", "write": "WriteThrottleEvents"}[
            metric["Id"]]
        assert stat["Metric"]["Namespace"] == "AWS/DynamoDB" and stat["Stat"] == "Sum"
        assert stat["Metric"]["Dimensions"] == [{"Name": "TableName", "Value": {"Ref": table_id}}]
    assert alarm["Threshold"] == 1 and acts_on_the_alarm_topic(synth, "data", alarm)


def test_api_5xx_and_slow_answers_raise_alarms(synth: Synth) -> None:
    found = alarms(synth, "api")
    (api_id,) = synth.resources("api", "AWS::ApiGatewayV2::Api")
    errors, slow = found["covid-etl-api-5xx"], found["covid-etl-api-latency"]
    assert metric_of(errors) == ("AWS/ApiGateway", "5xx", "Sum") and errors["Threshold"] == 1
    assert metric_of(slow) == ("AWS/ApiGateway", "Latency", "p99")
    assert slow["Threshold"] == 5000 and slow["ComparisonOperator"] == "GreaterThanThreshold"
    assert slow["EvaluationPeriods"] == slow["DatapointsToAlarm"] == 3
    for alarm in (errors, slow):
        assert alarm["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": api_id}}]
        assert acts_on_the_alarm_topic(synth, "api", alarm)


def test_a_failed_run_raises_an_alarm(synth: Synth) -> None:
    alarm = alarms(synth, "data")["covid-etl-run-failed"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (NAMESPACE, METRICS["failed"])
    assert alarm["Dimensions"] == [{"Name": "Prefix", "Value": RES.prefix}]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching" and acts_on_the_alarm_topic(synth, "data", alarm)


def test_a_day_without_a_good_run_raises_an_alarm(synth: Synth) -> None:
    alarm = alarms(synth, "data")["covid-etl-no-good-run"]
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    (expression,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
    assert expression["Expression"] == "succeeded + no_change"
    for name, status in (("succeeded", "succeeded"), ("no_change", "no_change")):
        stat = metrics[name]["MetricStat"]
        assert stat["Metric"]["MetricName"] == METRICS[status] and stat["Metric"]["Namespace"] == NAMESPACE
        assert stat["Period"] == 3600 and stat["Stat"] == "Sum"
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == 26  # > a day: the schedule's slack
    assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1
    assert alarm["TreatMissingData"] == "breaching"  # no run at all is what it is for
    assert acts_on_the_alarm_topic(synth, "data", alarm)


def test_no_alarm_acts_on_the_runs_topic(synth: Synth) -> None:
    for stack in ("data", *FUNCTIONS):
        for alarm in alarms(synth, stack).values():
            assert acts_on_the_alarm_topic(synth, stack, alarm), alarm["AlarmName"]


def policy_of(synth: Synth, topic: str) -> list[dict]:
    (policy,) = [p["Properties"]["PolicyDocument"]["Statement"]
                 for p in synth.resources("data", "AWS::SNS::TopicPolicy").values()
                 if p["Properties"]["Topics"] == [{"Ref": topic_id(synth, topic)}]]
    return list(policy)


def test_the_alarm_topic_policy_allows_cloudwatch_and_still_enforces_tls(synth: Synth) -> None:
    policy = policy_of(synth, RES.alarm_topic)
    allow = [s for s in policy if s["Effect"] == "Allow"]
    assert len(allow) == 1 and allow[0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow[0]["Action"] == "sns:Publish" and "aws:SourceAccount" in allow[0]["Condition"]["StringEquals"]
    assert flat(allow[0]["Condition"]["ArnLike"]["aws:SourceArn"]) == (
        "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*")
    deny = [s for s in policy if s["Effect"] == "Deny"]
    assert len(deny) == 1 and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # the runs topic: TLS only, nothing for CloudWatch (the notifier's role publishes by its own policy)
    assert [s["Effect"] for s in policy_of(synth, RES.topic)] == ["Deny"]


def test_the_topic_key_lets_cloudwatch_and_the_notifier_encrypt(synth: Synth) -> None:
    key = synth.one("data", "AWS::KMS::Key")["Properties"]
    (key_id,) = synth.resources("data", "AWS::KMS::Key")
    for topic in (RES.topic, RES.alarm_topic):  # one key for both topics
        assert synth.json("data")["Resources"][topic_id(synth, topic)]["Properties"]["KmsMasterKeyId"] == {
            "Fn::GetAtt": [key_id, "Arn"]}
    cloudwatch = [s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert len(cloudwatch) == 1
    assert set(as_list(cloudwatch[0]["Action"])) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    (notifier,) = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "AllowTheNotifierThroughSns"]
    assert flat(notifier["Condition"]["ArnEquals"]["aws:PrincipalArn"]) == (
        "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/covid-etl-notifier-${AWS::Region}")
    assert flat(notifier["Condition"]["StringEquals"]["kms:ViaService"]) == "sns.${AWS::Region}.amazonaws.com"
    role = synth.one("notifier", "AWS::IAM::Role")["Properties"]
    assert flat(role["RoleName"]) == "covid-etl-notifier-${AWS::Region}"  # the role the key names
    assert key["EnableKeyRotation"] is True


def test_queues_are_encrypted_explicitly(synth: Synth) -> None:
    for stack in STAGES:
        for queue in synth.resources(stack, "AWS::SQS::Queue").values():
            assert queue["Properties"]["SqsManagedSseEnabled"] is True
