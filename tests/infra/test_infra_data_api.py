"""The data stack (table, bucket, topic) and the API and dashboard stack."""

from __future__ import annotations

from aws_cdk.assertions import Match

from services.api.security_headers import content_security_policy
from tests.infra.cfn import BUCKET, RES, Synth, arn_name, as_list, flat, statements


def test_table_keys_billing_recovery_ttl_and_retention(synth: Synth) -> None:
    table = synth.one("data", "AWS::DynamoDB::Table")
    props = table["Properties"]
    assert props["TableName"] == RES.table
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]} == {"pk": "S", "sk": "S"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    # -c stage=dev (the default): deleted with the stack (prod: tests/infra/test_infra_teardown.py)
    assert table["DeletionPolicy"] == "Delete" and not props.get("DeletionProtectionEnabled")


def test_bucket_private_encrypted_tls_only_archive_expires(synth: Synth) -> None:
    bucket = synth.one("data", "AWS::S3::Bucket")
    props = bucket["Properties"]
    assert flat(props["BucketName"]) == BUCKET and bucket["DeletionPolicy"] == "Delete"
    assert all(props["PublicAccessBlockConfiguration"][k] for k in
               ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"))
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"}
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-archive"]["Prefix"] == "archive/" and rules["expire-archive"]["ExpirationInDays"] == 90
    assert rules["expire-images"]["Prefix"] == "images/" and rules["expire-images"]["ExpirationInDays"] == 30
    policy = synth.one("data", "AWS::S3::BucketPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)


def test_topic_name_and_key(synth: Synth) -> None:
    found = synth.resources("data", "AWS::SNS::Topic").values()
    topics = {t["Properties"]["TopicName"]: t["Properties"] for t in found}
    assert set(topics) == {RES.topic, RES.alarm_topic}  # announcements apart from alarms
    topic = topics[RES.topic]
    key_id = [k for k, v in synth.json("data")["Resources"].items() if v["Type"] == "AWS::KMS::Key"]
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id[0], "Arn"]}
    assert synth.one("data", "AWS::KMS::Key")["Properties"]["EnableKeyRotation"] is True
    assert not synth.resources("data", "AWS::SNS::Subscription")  # only with an email in the stage file


def test_api_function_reads_the_table_and_writes_nothing(synth: Synth) -> None:
    function = [f for f in synth.resources("api", "AWS::Lambda::Function").values()
                if f["Properties"].get("FunctionName") == "covid-etl-api"]
    assert len(function) == 1
    props = function[0]["Properties"]
    assert props["Handler"] == "services.api.lambda_function.handler" and props["Runtime"] == "python3.12"
    assert props["Environment"]["Variables"]["COVID_ETL_TABLE"] == RES.table
    mine = statements(synth, "api", functions_only=True)
    dynamodb = {a for s in mine for a in as_list(s["Action"]) if a.startswith("dynamodb:")}
    assert dynamodb == {"dynamodb:GetItem", "dynamodb:Query"}
    tables = {arn_name(r) for s in mine for r in as_list(s["Resource"]) if "dynamodb" in flat(r)}
    assert tables == {RES.table}
    assert not [a for s in mine for a in as_list(s["Action"]) if a.startswith(("s3:", "sqs:", "sns:"))]


def test_the_api_is_throttled_and_cannot_take_the_pipelines_concurrency(synth: Synth) -> None:
    stage = synth.one("api", "AWS::ApiGatewayV2::Stage")["Properties"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {"ThrottlingRateLimit": 50, "ThrottlingBurstLimit": 100}
    (function,) = [f["Properties"] for f in synth.resources("api", "AWS::Lambda::Function").values()
                   if f["Properties"].get("FunctionName") == "covid-etl-api"]
    assert function["ReservedConcurrentExecutions"] == 10
    for stage_name in ("extractor", "transformer", "loader", "notifier"):  # the pipeline keeps the rest
        assert "ReservedConcurrentExecutions" not in synth.one(stage_name, "AWS::Lambda::Function")["Properties"]


def test_http_api_sends_every_route_to_the_function(synth: Synth) -> None:
    template = synth.templates["api"]
    template.has_resource_properties("AWS::ApiGatewayV2::Api", {
        "ProtocolType": "HTTP", "Name": "covid-etl-api",
        "CorsConfiguration": Match.object_like({"AllowMethods": ["GET", "HEAD"], "AllowOrigins": ["*"]})})
    template.has_resource_properties("AWS::ApiGatewayV2::Route", {"RouteKey": "$default"})
    template.has_resource_properties("AWS::ApiGatewayV2::Integration", {
        "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"})
    template.has_output("ApiUrl", {})


def test_dashboard_deploys_web_with_a_config_that_names_the_api(synth: Synth) -> None:
    deployment = synth.one("api", "Custom::CDKBucketDeployment")["Properties"]
    assert len(deployment["SourceObjectKeys"]) == 2  # web/ without config.js, and the generated config.js
    markers = str(deployment.get("SourceMarkers", ""))
    assert "HttpApi" in markers  # the API endpoint is filled into config.js at deploy time
    assert deployment["DistributionPaths"] == ["/*"]
    distribution = synth.one("api", "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    assert distribution["DefaultRootObject"] == "index.html"
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert synth.resources("api", "AWS::CloudFront::OriginAccessControl")
    synth.templates["api"].has_output("DashboardUrl", {})


def test_dashboard_asset_is_web_without_its_local_config(synth: Synth) -> None:
    staged = [p for p in synth.outdir.glob("asset.*") if (p / "index.html").is_file()]
    assert len(staged) == 1
    names = {p.name for p in staged[0].iterdir()}
    assert {"index.html", "app.js", "vendor"} <= names and "config.js" not in names




def test_dashboard_responses_carry_the_apps_security_headers(synth: Synth) -> None:
    policy = synth.one("api", "AWS::CloudFront::ResponseHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"]
    security = policy["SecurityHeadersConfig"]
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["ReferrerPolicy"] == {"ReferrerPolicy": "no-referrer", "Override": True}
    csp = security["ContentSecurityPolicy"]
    assert csp["Override"] is True
    # The API's endpoint is a token joined into the policy at deploy time: 'self' plus that origin.
    parts = csp["ContentSecurityPolicy"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else "<api>" for p in parts)
    assert text == content_security_policy("<api>")
    distribution = synth.one("api", "AWS::CloudFront::Distribution")["Properties"]["DistributionConfig"]
    assert "ResponseHeadersPolicyId" in distribution["DefaultCacheBehavior"]
