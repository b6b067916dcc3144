"""The read API (Lambda behind an HTTP API) and the dashboard (S3 behind CloudFront)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from infra.config import ROOT, InfraConfig
from infra.stacks import access, alarms, refs
from infra.stacks.assets import ARCHITECTURE, RUNTIME, Assets
from infra.stacks.service import log_group
from services.api.security_headers import REFERRER_POLICY, content_security_policy
from shared.topology import API

WEB_DIR = ROOT / "web"
# Requests a second over all clients, and the burst above it. The dashboard makes a few requests per
# page view; 10,000 a month is the expected load (docs/deploy.md), so this is far above need and far
# below what would cost money or starve the pipeline (the function's reserved concurrency bounds that).
THROTTLE_RATE_PER_S = 50
THROTTLE_BURST = 100


class Api(Construct):
    """The Flask app in one function; it only reads the table."""

    def __init__(self, scope: Construct, construct_id: str, *, config: InfraConfig, assets: Assets) -> None:
        super().__init__(scope, construct_id)
        res = config.resources
        logs_ = log_group(self, config, API.name)
        self.function = lambda_.Function(
            self, "Function", function_name=res.function(API.name), runtime=RUNTIME, architecture=ARCHITECTURE,
            role=access.function_role(self, logs_, res.prefix, API.name), log_group=logs_,
            handler="services.api.lambda_function.handler", code=assets.code(API.name),
            layers=assets.layers(self, API.name),
            memory_size=API.memory_mb, timeout=cdk.Duration.seconds(29),  # API Gateway gives up at 30 s
            tracing=lambda_.Tracing.ACTIVE,  # the function: an HTTP API itself cannot be traced by X-Ray
            # A public endpoint must not take the concurrency the pipeline's functions need (0: no reservation).
            reserved_concurrent_executions=config.api_concurrency or None,
            environment={"COVID_ETL_PREFIX": res.prefix, "COVID_ETL_TABLE": res.table,
                         "POWERTOOLS_SERVICE_NAME": f"{res.prefix}-api"},
        )
        access.grant(self.function, API, refs.table(self, config), refs.bucket(self, config))
        self.http_api = apigw.HttpApi(
            self, "HttpApi", api_name=f"{res.prefix}-api",
            default_integration=integrations.HttpLambdaIntegration("App", self.function),
            # The dashboard is on another origin (CloudFront); the API is read-only.
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=["*"], allow_methods=[apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.HEAD],
                allow_headers=["if-none-match"], expose_headers=["etag"], max_age=cdk.Duration.hours(1)),
        )
        access_logs = logs.LogGroup(self, "AccessLogs", log_group_name=f"/{res.prefix}/api-access",
                                    retention=logs.RetentionDays.ONE_MONTH, removal_policy=cdk.RemovalPolicy.DESTROY)
        stage = self.http_api.default_stage.node.default_child  # type: ignore[union-attr]
        stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(  # type: ignore[attr-defined,union-attr]
            destination_arn=access_logs.log_group_arn,
            format='{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","time":"$context.requestTime",'
                   '"route":"$context.routeKey","status":"$context.status","latency":"$context.integrationLatency"}')
        # Bounded before the function: past these, API Gateway answers 429 itself.
        stage.default_route_settings = apigw.CfnStage.RouteSettingsProperty(  # type: ignore[attr-defined,union-attr]
            throttling_rate_limit=THROTTLE_RATE_PER_S, throttling_burst_limit=THROTTLE_BURST)
        alarm_topic = refs.alarm_topic(self, config)
        self.alarms = [*alarms.function_alarms(self, alarm_topic, res.prefix, "api", self.function),
                       *alarms.api_alarms(self, alarm_topic, res.prefix, self.http_api)]
        self.url = self.http_api.api_endpoint


class Dashboard(Construct):
    """web/ as it is, plus a config.js that points it at the API."""

    def __init__(self, scope: Construct, construct_id: str, *, api_url: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self, "Bucket", block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.DESTROY, auto_delete_objects=True)
        # The same headers as the Flask app's (services/api/security_headers.py); the page also fetches the API.
        headers = cloudfront.ResponseHeadersPolicy(
            self, "SecurityHeaders", comment="covid-etl dashboard: CSP, nosniff, referrer policy",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(api_url), override=True),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy(REFERRER_POLICY.upper().replace("-", "_")),
                    override=True)))
        self.distribution = cloudfront.Distribution(
            self, "Distribution", default_root_object="index.html", comment="covid-etl dashboard",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=headers),
        )
        s3_deployment.BucketDeployment(
            self, "Deploy", destination_bucket=self.bucket, distribution=self.distribution,
            distribution_paths=["/*"],
            sources=[s3_deployment.Source.asset(str(WEB_DIR), exclude=["config.js"]),
                     s3_deployment.Source.data("config.js", f'window.COVID_ETL_API = "{api_url}";\n')],
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"


class ApiStack(cdk.Stack):
    def __init__(self, scope: Construct, stack_id: str, *, config: InfraConfig, assets: Assets,
                 **kwargs: Any) -> None:
        super().__init__(scope, stack_id, description="covid-etl: read API and dashboard", **kwargs)
        self.api = Api(self, "Api", config=config, assets=assets)
        self.dashboard = Dashboard(self, "Dashboard", api_url=self.api.url)
        cdk.CfnOutput(self, "ApiUrl", value=self.api.url)
        cdk.CfnOutput(self, "DashboardUrl", value=self.dashboard.url)
