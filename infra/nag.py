"""cdk-nag's AwsSolutions checks on every stack, and each acknowledged finding with its reason.

A synth with an unacknowledged error fails (`make synth`, and the infra tests' one synthesis).
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

from infra.stacks.access import ACCESS

RUNTIME = ("AwsSolutions-L1", "Python 3.12 is the runtime the layers are built for (infra/build-layer.sh) and "
           "tested with; moving on is a decision of its own (docs/decisions.md)")
XRAY = ("AwsSolutions-IAM5[Resource::*]", "X-Ray's PutTraceSegments and PutTelemetryRecords, which active tracing "
        "grants the function's role (CDK), take no resource-level permission: * is all IAM allows")
DATA_BUCKET_LOGS = ("AwsSolutions-S1", "Private bucket, reached only by the pipeline's roles; server access logs "
                    "would cost more than the data. CloudTrail data events are the audit trail if one is needed")


def check(app: cdk.App) -> None:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, *findings: tuple[str, str]) -> None:
    for rule, reason in findings:
        cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=f"AwsSolutions::{rule}", reason=reason))


def account_and_region(stack: cdk.Stack) -> tuple[str, str]:
    """The account and region as cdk-nag writes them in a finding: a pseudo parameter when the stack's
    environment is left to deploy time, the literal when it is pinned (as the CDK CLI pins it
    whenever it finds credentials)."""
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    region = "<AWS::Region>" if cdk.Token.is_unresolved(stack.region) else stack.region
    return account, region


def _object_prefixes(stack: cdk.Stack, bucket: str, service: str) -> list[tuple[str, str]]:
    access = ACCESS[service]
    account, region = account_and_region(stack)
    return [(f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}-{account}-{region}/{p}*]",
             f"The {service} reads or writes objects under {p} only: a key prefix, so a wildcard")
            for p in sorted(set(access.gets + access.puts))]


def suppress(stack: cdk.Stack, name: str, bucket: str) -> None:
    """Acknowledge what the stack `name` (data, a service, api, ci) does on purpose. `bucket`: the
    data bucket's name without account and region."""
    if name == "data":
        acknowledge(stack, DATA_BUCKET_LOGS)
    elif name in ACCESS and name != "api":
        acknowledge(stack, RUNTIME, XRAY, *_object_prefixes(stack, bucket, name))
    elif name == "api":
        account, region = account_and_region(stack)
        deployment = "the dashboard's upload (CDK's BucketDeployment custom resource)"
        acknowledge(
            stack, RUNTIME,
            ("AwsSolutions-APIG4", "A public, read-only API over public data, as the dashboard is"),
            ("AwsSolutions-CFR1", "Public data for anyone: no geographic restriction"),
            ("AwsSolutions-CFR2", "Static files and a cache; no WAF for a read-only dashboard"),
            ("AwsSolutions-CFR3", "Static dashboard files; CloudFront logs would cost more than they tell"),
            ("AwsSolutions-CFR4", "The default CloudFront certificate: a custom domain would allow TLS 1.2 only"),
            ("AwsSolutions-S1", "The dashboard's static files; CloudFront serves them"),
            ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
             f"The role of {deployment}, made by CDK"),
            *[(f"AwsSolutions-IAM5[{finding}]", f"The role of {deployment}: it syncs the dashboard's files")
              for finding in ("Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*",
                              "Action::s3:DeleteObject*", "Action::s3:Abort*", "Resource::*",
                              "Resource::<DashboardBucketA782FB5B.Arn>/*",
                              f"Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-{account}-{region}/*")],
        )
        acknowledge(stack.node.find_child("Api"), XRAY)  # the function's role; the upload's has its own reason
    elif name == "ci":
        account, _ = account_and_region(stack)
        acknowledge(stack, (f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::{account}:role/cdk-*]",
                            "The CDK bootstrap roles, whose names carry a qualifier; limited by their "
                            "aws-cdk:bootstrap-role tag"))
