"""Least privilege on the shared table and bucket, as each function's spec declares it.

What a function reads and writes is its `Access` in `shared/topology.py` (partitions and key
prefixes named in `shared/layout.py`); this module turns it into IAM statements. A
`dynamodb:LeadingKeys` condition limits each table statement to the partitions that the service
touches (so the notifier cannot write `series#US`), matched with `ForAllValues:StringLike`: every
partition a request touches must match one of the names or patterns (`series#*`: every region's
rows, docs/regions.md); a name without `*` or `?` matches only itself, as with `StringEquals`. No
service deletes anything: claims and locks are released by expiring their lease, a load's marker is
cleared by its commit. S3 access is per key prefix; `s3:ListBucket` (no listing is
ever made) lets a HeadObject on a missing key answer 404 instead of 403, which `BlobStore.exists`
relies on.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from shared.topology import FUNCTIONS, Access, FunctionSpec

__all__ = ["ACCESS", "DDB_READ", "DDB_WRITE", "Access", "function_role", "grant", "role_name"]
DDB_READ = ("dynamodb:GetItem", "dynamodb:Query")
# ConditionCheckItem: the loader's fenced transactions check the load lock's token (`shared.lock`)
DDB_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem")
ACCESS = {spec.name: spec.access for spec in FUNCTIONS}  # by function, for cdk-nag's acknowledgements


def _leading_keys(partitions: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": sorted(set(partitions))}}


def grant(role: iam.IGrantable, spec: FunctionSpec, table: dynamodb.ITable, bucket: s3.IBucket) -> None:
    """Add the function's table and bucket statements (its spec's `access`) to its role."""
    access = spec.access
    policy = role.grant_principal
    if access.reads:
        policy.add_to_principal_policy(iam.PolicyStatement(
            actions=list(DDB_READ), resources=[table.table_arn], conditions=_leading_keys(access.reads)))
    if access.writes:
        policy.add_to_principal_policy(iam.PolicyStatement(
            actions=list(DDB_WRITE), resources=[table.table_arn], conditions=_leading_keys(access.writes)))
    if access.gets:
        policy.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[bucket.arn_for_objects(f"{p}*") for p in access.gets]))
    if access.puts:
        policy.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:PutObject"], resources=[bucket.arn_for_objects(f"{p}*") for p in access.puts]))
    if access.lists:
        policy.add_to_principal_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]))


def role_name(prefix: str, service: str, region: str) -> str:
    """Named, so that the topic key's policy can name the notifier's role before it exists; roles are
    global, hence the region."""
    return f"{prefix}-{service}-{region}"


def function_role(scope: Construct, log_group: logs.ILogGroup, prefix: str, service: str) -> iam.Role:
    """A function's role: writing its own log group only (not the managed AWSLambdaBasicExecutionRole)."""
    role = iam.Role(scope, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                    role_name=role_name(prefix, service, cdk.Stack.of(scope).region))
    role.add_to_policy(iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                           resources=[log_group.log_group_arn]))
    return role
