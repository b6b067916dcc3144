"""The four pipeline services: queues with DLQs, event sources, settings, least privilege, alarms."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from infra.config import InfraConfig
from infra.stacks.service import SERVICES, own_settings
from shared.sources import SOURCES, source
from shared.topology import Resources
from tests.infra.cfn import BUCKET, RES, STAGES, Synth, arn_name, as_list, flat, statements

SENDS_TO = {"extractor": {"transformer", "notifier"}, "transformer": {"loader", "notifier"},
            "loader": {"notifier"}, "notifier": set[str]()}  # it only announces


def queues(synth: Synth, stage: str) -> dict[str, dict]:
    return {q["Properties"]["QueueName"]: q for q in synth.resources(stage, "AWS::SQS::Queue").values()}


@pytest.mark.parametrize("stage", STAGES)
def test_queue_redrives_to_its_dead_letter_queue(synth: Synth, stage: str) -> None:
    found = queues(synth, stage)
    assert set(found) == {RES.queue(stage), RES.dlq(stage)}
    props = found[RES.queue(stage)]["Properties"]
    resources = synth.json(stage)["Resources"]
    assert arn_name(props["RedrivePolicy"]["deadLetterTargetArn"], resources) == RES.dlq(stage)
    assert props["RedrivePolicy"]["maxReceiveCount"] == RES.max_receive_count
    function = synth.one(stage, "AWS::Lambda::Function")["Properties"]
    assert props["VisibilityTimeout"] >= 6 * function["Timeout"]
    assert found[RES.dlq(stage)]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


@pytest.mark.parametrize("stage", STAGES)
def test_function_reads_its_queue_and_reports_batch_item_failures(synth: Synth, stage: str) -> None:
    mapping = synth.one(stage, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert arn_name(mapping["EventSourceArn"], synth.json(stage)["Resources"]) == RES.queue(stage)
    synth.templates[stage].has_resource_properties("AWS::Lambda::Function", {
        "FunctionName": f"covid-etl-{stage}", "Handler": "shared.runtime.lambda_entry.handler",
        "Runtime": "python3.12", "Layers": Match.any_value(),
    })


@pytest.mark.parametrize("stage", STAGES)
def test_settings_point_at_the_right_resources(synth: Synth, stage: str) -> None:
    resources = synth.json(stage)["Resources"]
    env = synth.one(stage, "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert env["COVID_ETL_TABLE"] == RES.table and flat(env["COVID_ETL_BUCKET"]) == BUCKET
    assert env["COVID_ETL_MAX_RECEIVE_COUNT"] == str(RES.max_receive_count)
    urls = {k: arn_name(v, resources) for k, v in env.items() if k.endswith("_QUEUE_URL")}
    assert urls == {f"COVID_ETL_{q.upper()}_QUEUE_URL": RES.queue(q) for q in {*SENDS_TO[stage], stage}}
    assert env["COVID_ETL_SERVICE"] == stage
    assert ("COVID_ETL_TOPIC_ARN" in env) == (stage == "notifier")
    if stage == "notifier":
        assert arn_name(env["COVID_ETL_TOPIC_ARN"]) == RES.topic
    assert {s.url_var: env.get(s.url_var) for s in SOURCES} == (
        {s.url_var: s.default_url for s in SOURCES} if stage == "extractor" else dict.fromkeys(
            s.url_var for s in SOURCES))
    assert ("COVID_ETL_JOIN" in env) == (stage == "transformer")
    assert "COVID_ETL_DASHBOARD_URL" not in env  # only with `-c dashboard_url=`


def test_a_sources_url_comes_from_its_stage_key_or_context() -> None:
    context = {"stage": "dev", "lookup_url": "https://mirror.example/lookup.csv"}
    config = InfraConfig.from_context(context.get)
    assert own_settings(config, "extractor") == {
        "COVID_ETL_NYT_URL": source("nyt").default_url, "COVID_ETL_JHU_URL": source("jhu").default_url,
        "COVID_ETL_LOOKUP_URL": "https://mirror.example/lookup.csv"}


def test_only_the_notifier_links_the_dashboard_given_as_context() -> None:
    config = InfraConfig(resources=Resources(), dashboard_url="https://d123.cloudfront.net")
    linked = {stage: own_settings(config, stage).get("COVID_ETL_DASHBOARD_URL") for stage in STAGES}
    assert linked == {stage: "https://d123.cloudfront.net" if stage == "notifier" else None for stage in STAGES}


@pytest.mark.parametrize("stage", STAGES)
def test_function_may_send_only_to_the_queues_it_publishes_to(synth: Synth, stage: str) -> None:
    resources = synth.json(stage)["Resources"]
    allowed = {arn_name(r, resources) for s in statements(synth, stage) if "sqs:SendMessage" in as_list(s["Action"])
               for r in as_list(s["Resource"])}
    assert allowed == {RES.queue(q) for q in SENDS_TO[stage]} | {RES.dlq(stage)}  # poison goes to its DLQ
    publishes = [s for s in statements(synth, stage) if "sns:Publish" in as_list(s["Action"])]
    assert [arn_name(s["Resource"]) for s in publishes] == ([RES.topic] if stage == "notifier" else [])
    actions = {a for s in statements(synth, stage) for a in as_list(s["Action"])}
    assert not any(a.endswith("*") and ":" not in a.split("*")[0] for a in actions)
    assert "sqs:*" not in actions and "dynamodb:*" not in actions and "s3:*" not in actions


def test_the_extractor_cannot_send_to_the_loader(synth: Synth) -> None:
    resources = synth.json("extractor")["Resources"]
    targets = {arn_name(r, resources) for s in statements(synth, "extractor") for r in as_list(s["Resource"])}
    assert RES.queue("loader") not in targets


@pytest.mark.parametrize("stage", STAGES)
def test_table_and_bucket_grants_name_the_pipeline_resources(synth: Synth, stage: str) -> None:
    by_service: dict[str, set[str]] = {}
    for s in statements(synth, stage):
        for action in as_list(s["Action"]):
            by_service.setdefault(action.split(":")[0], set()).update(flat(r) for r in as_list(s["Resource"]))
    assert {r.rsplit("/", 1)[-1] for r in by_service["dynamodb"]} == {RES.table}
    bucket = f"arn:${{AWS::Partition}}:s3:::{BUCKET}"
    assert by_service["s3"] and all(r == bucket or r.startswith(f"{bucket}/") for r in by_service["s3"])
    assert f"{bucket}/*" not in by_service["s3"]  # key prefixes, never the whole bucket


def test_the_daily_rule_puts_a_scheduled_event_on_the_extractor_queue(synth: Synth) -> None:
    rule = synth.one("extractor", "AWS::Events::Rule")["Properties"]
    resources = synth.json("extractor")["Resources"]
    assert rule["Name"] == RES.schedule_rule and rule["ScheduleExpression"] == "rate(1 day)"
    assert rule["State"] == "ENABLED"
    (target,) = rule["Targets"]
    assert arn_name(target["Arn"], resources) == RES.queue("extractor")
    assert "Input" not in target and "InputTransformer" not in target  # the event itself is the body
    policy = [p for p in synth.resources("extractor", "AWS::SQS::QueuePolicy").values()
              if any(s.get("Principal") == {"Service": "events.amazonaws.com"}
                     for s in p["Properties"]["PolicyDocument"]["Statement"])]
    assert len(policy) == 1
    for stage in ("transformer", "loader", "notifier"):
        assert not synth.resources(stage, "AWS::Events::Rule")


def test_service_stacks_share_nothing_through_exports(synth: Synth) -> None:
    for stage in STAGES:
        assert "Fn::ImportValue" not in str(synth.json(stage))
    assert not any(output.get("Export") for output in synth.json("data").get("Outputs", {}).values())


def test_stacks_deploy_consumers_first(synth: Synth) -> None:
    deps = {stage: {d.stack_name for d in synth.stacks[stage].dependencies} for stage in STAGES}
    assert deps["extractor"] == {"covid-etl-data", "covid-etl-transformer", "covid-etl-notifier"}
    assert deps["transformer"] == {"covid-etl-data", "covid-etl-loader", "covid-etl-notifier"}
    assert deps["loader"] == {"covid-etl-data", "covid-etl-notifier"}
    assert deps["notifier"] == {"covid-etl-data"}


def test_specs_match_what_the_services_send() -> None:
    assert {s.name: set(s.sends_to) for s in SERVICES} == SENDS_TO
