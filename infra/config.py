"""Deployment settings, read from CDK context (`cdk.json` or `-c key=value`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.stacks.assets import missing_layers
from shared.settings import JHU_URL, NYT_URL
from shared.topology import DEFAULT_MAX_RECEIVE_COUNT, DEFAULT_PREFIX, Resources

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")


@dataclass(frozen=True)
class InfraConfig:
    """What differs between deployments; every resource name comes from `resources`."""

    resources: Resources
    build_dir: Path = ROOT / "build"
    source_root: Path = ROOT
    stage: str = "dev"
    nyt_url: str = NYT_URL
    jhu_url: str = JHU_URL
    join: str = "inner"
    alarm_email: str = ""
    dashboard_url: str = ""  # linked from the notifications (the api stack's DashboardUrl output, or a domain)
    schedule: bool = True
    functions: bool = True  # false: no functions and no API stack (tests/localstack: LocalStack without Docker)
    github_repo: str = ""  # owner/name: adds the CI stack (OIDC provider and deploy role)
    github_branch: str = "main"
    oidc_provider_arn: str = ""  # an account has one GitHub provider: reuse it when it exists

    @property
    def prefix(self) -> str:
        return self.resources.prefix

    @property
    def prod(self) -> bool:
        return self.stage == "prod"

    @property
    def removal(self) -> cdk.RemovalPolicy:
        """What happens to data (table, bucket, key, dead letters) when its stack is deleted."""
        return cdk.RemovalPolicy.RETAIN if self.prod else cdk.RemovalPolicy.DESTROY

    def bucket_name(self, scope: cdk.Stack) -> str:
        """Bucket names are global: the prefix's name plus account and region."""
        return f"{self.resources.bucket}-{scope.account}-{scope.region}"

    @classmethod
    def from_context(cls, get: Any) -> InfraConfig:
        """`get` is `node.try_get_context`; values from `-c` arrive as strings."""
        # SQS wants the visibility timeout well above the function timeout (AWS suggests 6x), so the
        # AWS default is longer than the emulators' 60 s.
        resources = Resources(
            prefix=get("prefix") or DEFAULT_PREFIX,
            visibility_timeout_s=int(get("visibility_timeout_s") or 360),
            max_receive_count=int(get("max_receive_count") or DEFAULT_MAX_RECEIVE_COUNT),
        )
        stage = get("stage") or "dev"
        if stage not in STAGES:
            raise SystemExit(f"-c stage={stage}: use dev (destroys cleanly) or prod (retains data)")
        build_dir = Path(get("build_dir") or ROOT / "build")
        if missing_layers(build_dir):
            raise SystemExit(f"no Lambda layers {missing_layers(build_dir)} in {build_dir}/layers: run "
                             "`make lambda-layer` (or `make synth`, which builds them) first")
        return cls(
            resources=resources, build_dir=build_dir, source_root=Path(get("source_root") or ROOT), stage=stage,
            nyt_url=get("nyt_url") or NYT_URL, jhu_url=get("jhu_url") or JHU_URL,
            join=get("join") or "inner", alarm_email=get("alarm_email") or "",
            dashboard_url=get("dashboard_url") or "",
            schedule=str(get("schedule") if get("schedule") is not None else True).lower() != "false",
            functions=str(get("functions") if get("functions") is not None else True).lower() != "false",
            github_repo=get("github_repo") or "", github_branch=get("github_branch") or "main",
            oidc_provider_arn=get("oidc_provider_arn") or "",
        )
