"""GitHub's OIDC provider and the role that `.github/workflows/deploy-stage.yml` assumes: no stored keys.

The role trusts tokens of one repository's jobs that run in the GitHub environment named after the
stage (`repo:OWNER/NAME:environment:prod`), so only a job that passed that environment's gate
(prod: its required reviewers) gets it; a branch's `sub` is not enough. It may do two things:
assume the CDK bootstrap roles (deploy, file and image publishing, lookup) that `cdk deploy` uses,
so what a deploy may change is what the bootstrap's CloudFormation execution policy allows
(infra/bootstrap/execution-policy.json), and read and write the one SSM parameter that records the
commit last deployed (`/<prefix>/deployed-commit`, infra/deploy_plan.py).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import InfraConfig

ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"


class CiStack(cdk.Stack):
    def __init__(self, scope: Construct, stack_id: str, *, config: InfraConfig, **kwargs: Any) -> None:
        super().__init__(scope, stack_id, description="covid-etl: GitHub OIDC deploy role", **kwargs)
        if config.oidc_provider_arn:  # an account holds one provider per issuer
            provider_arn = config.oidc_provider_arn
        else:
            provider_arn = iam.CfnOIDCProvider(self, "GitHubOidc", url=f"https://{ISSUER}",
                                               client_id_list=[AUDIENCE]).attr_arn
        subject = f"repo:{config.github_repo}:environment:{config.stage}"
        self.role = iam.Role(
            self, "DeployRole", role_name=f"{config.prefix}-github-deploy", max_session_duration=cdk.Duration.hours(1),
            description=f"GitHub Actions of {config.github_repo}, environment {config.stage}: cdk deploy",
            assumed_by=iam.WebIdentityPrincipal(provider_arn, conditions={
                "StringEquals": {f"{ISSUER}:aud": AUDIENCE, f"{ISSUER}:sub": subject}}),
        )
        self.role.add_to_policy(iam.PolicyStatement(
            sid="AssumeCdkBootstrapRoles", actions=["sts:AssumeRole"],
            resources=[f"arn:{self.partition}:iam::{self.account}:role/cdk-*"],
            conditions={"StringEquals": {"iam:ResourceTag/aws-cdk:bootstrap-role": [
                "deploy", "file-publishing", "image-publishing", "lookup"]}}))
        self.role.add_to_policy(iam.PolicyStatement(
            sid="DeployedCommit", actions=["ssm:GetParameter", "ssm:PutParameter"],
            resources=[f"arn:{self.partition}:ssm:{self.region}:{self.account}:parameter/{config.prefix}/deployed-commit"]))
        cdk.CfnOutput(self, "DeployRoleArn", value=self.role.role_arn)
