"""Alarms that reach people: on each DLQ, each function's errors and throttles, a failed run, a day
without a good run; all on the runs topic, whose policy and key let CloudWatch publish."""

from __future__ import annotations

import pytest

from shared.metrics import METRICS, NAMESPACE
from tests.infra.cfn import RES, Synth, arn_name, as_list, flat

FUNCTIONS = ("extractor", "transformer", "loader", "notifier", "api")


def alarms(synth: Synth, stack: str) -> dict[str, dict]:
    found = synth.resources(stack, "AWS::CloudWatch::Alarm").values()
    return {a["Properties"]["AlarmName"]: a["Properties"] for a in found}


def acts_on_the_topic(synth: Synth, stack: str, alarm: dict) -> bool:
    if stack == "data":  # the topic is in this stack
        topic = [k for k, v in synth.json("data")["Resources"].items() if v["Type"] == "AWS::SNS::Topic"]
        return alarm["AlarmActions"] == [{"Ref": topic[0]}]
    return [arn_name(a) for a in alarm["AlarmActions"]] == [RES.topic]


@pytest.mark.parametrize("stack", FUNCTIONS)
def test_each_function_alarms_on_errors_and_throttles(synth: Synth, stack: str) -> None:
    found = alarms(synth, stack)
    for kind, metric in (("errors", "Errors"), ("throttles", "Throttles")):
        alarm = found[f"covid-etl-{stack}-{kind}"]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == ("AWS/Lambda", metric, "Sum")
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert acts_on_the_topic(synth, stack, alarm)
    expected = {f"covid-etl-{stack}-errors", f"covid-etl-{stack}-throttles"}
    if stack != "api":
        expected.add(f"covid-etl-{stack}-dead-letters")
        assert acts_on_the_topic(synth, stack, found[f"covid-etl-{stack}-dead-letters"])
    assert set(found) == expected


def test_a_failed_run_raises_an_alarm(synth: Synth) -> None:
    alarm = alarms(synth, "data")["covid-etl-run-failed"]
    assert (alarm["Namespace"], alarm["MetricName"]) == (NAMESPACE, METRICS["failed"])
    assert alarm["Dimensions"] == [{"Name": "Prefix", "Value": RES.prefix}]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching" and acts_on_the_topic(synth, "data", alarm)


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
    assert acts_on_the_topic(synth, "data", alarm)


def test_the_topic_policy_allows_cloudwatch_and_still_enforces_tls(synth: Synth) -> None:
    (policy,) = [p["Properties"]["PolicyDocument"]["Statement"]
                 for p in synth.resources("data", "AWS::SNS::TopicPolicy").values()]
    allow = [s for s in policy if s["Effect"] == "Allow"]
    assert len(allow) == 1 and allow[0]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow[0]["Action"] == "sns:Publish" and "aws:SourceAccount" in allow[0]["Condition"]["StringEquals"]
    deny = [s for s in policy if s["Effect"] == "Deny"]
    assert len(deny) == 1 and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_topic_key_lets_cloudwatch_and_the_notifier_encrypt(synth: Synth) -> None:
    key = synth.one("data", "AWS::KMS::Key")["Properties"]
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
    for stack in ("extractor", "transformer", "loader", "notifier"):
        for queue in synth.resources(stack, "AWS::SQS::Queue").values():
            assert queue["Properties"]["SqsManagedSseEnabled"] is True
