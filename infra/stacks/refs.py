"""References by name to resources of other stacks, and the Lambda code and layer assets.

A name-based reference (instead of a CloudFormation export) keeps stacks independent: a service
stack can be updated, or deleted and redeployed, without touching the stacks it sends to.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import ROOT
from shared.topology import Resources

RUNTIME = lambda_.Runtime.PYTHON_3_12
# Only the project's runtime packages go into the function code; dependencies come in the layer.
CODE_PACKAGES = ("shared", "services")


def queue(scope: Construct, construct_id: str, name: str) -> sqs.IQueue:
    stack = cdk.Stack.of(scope)
    arn = stack.format_arn(service="sqs", resource=name, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
    url = f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/{name}"
    return sqs.Queue.from_queue_attributes(scope, construct_id, queue_arn=arn, queue_url=url, queue_name=name)


def table(scope: Construct, res: Resources) -> dynamodb.ITable:
    return dynamodb.Table.from_table_name(scope, "Table", res.table)


def bucket(scope: Construct, res: Resources) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(scope, "Bucket", res.bucket)


def topic(scope: Construct, res: Resources) -> sns.ITopic:
    arn = cdk.Stack.of(scope).format_arn(service="sns", resource=res.topic, arn_format=cdk.ArnFormat.NO_RESOURCE_NAME)
    return sns.Topic.from_topic_arn(scope, "Topic", arn)


@cache
def code_dir() -> Path:
    """shared/ and services/, copied once per synth: fingerprinting the repository root (with its
    virtualenv) for each function would take most of a minute."""
    staging = Path(tempfile.mkdtemp(prefix="covid-etl-lambda-code-"))
    for package in CODE_PACKAGES:
        shutil.copytree(ROOT / package, staging / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache"))
    return staging


def code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(code_dir()))


def layer(scope: Construct, layer_dir: Path) -> lambda_.LayerVersion:
    """Third-party packages, built without Docker by `make lambda-layer` (see infra/README.md)."""
    return lambda_.LayerVersion(
        scope, "Dependencies", code=lambda_.Code.from_asset(str(layer_dir)),
        compatible_runtimes=[RUNTIME], compatible_architectures=[lambda_.Architecture.X86_64],
        description="covid-etl runtime dependencies (infra/lambda-requirements.txt)",
    )
