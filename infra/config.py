"""Deployment settings: each stage's committed file `infra/stages/<stage>.json`, under CDK context.

The stage file is the source of truth, so a deploy that passes the stage only (CI's
`make deploy STAGE=prod`) builds the same system as the operator's; a `-c key=value` on the command
line still wins, for experiments.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.stacks.assets import missing_layers
from shared.sources import SOURCES
from shared.topology import DEFAULT_MAX_RECEIVE_COUNT, DEFAULT_PREFIX, Resources

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("dev", "prod")
STAGES_DIR = ROOT / "infra" / "stages"
# What a stage file may hold; a key outside this list is a typo, refused rather than ignored.
STAGE_KEYS = ("prefix", "account", "region", "alarm_email", "runs_email", "dashboard_url", "github_repo",
              "github_branch", "oidc_provider_arn", "schedule", *(f"{s.name}_url" for s in SOURCES), "join",
              "visibility_timeout_s", "max_receive_count", "api_concurrency")
API_CONCURRENCY = 10  # the API function's reserved concurrency: what the pipeline's functions keep


def stage_file(stage: str, stages_dir: Path = STAGES_DIR) -> dict[str, Any]:
    """The settings committed for `stage`; SystemExit on an unknown key or a missing file."""
    path = stages_dir / f"{stage}.json"
    if not path.is_file():
        raise SystemExit(f"no stage file {path}: each stage's settings are committed there (docs/deploy.md)")
    settings: dict[str, Any] = json.loads(path.read_text())
    unknown = sorted(set(settings) - set(STAGE_KEYS))
    if unknown:
        raise SystemExit(f"{path}: unknown settings {unknown}; known: {', '.join(STAGE_KEYS)}")
    return settings


def layered(context: Callable[[str], Any], settings: dict[str, Any]) -> Callable[[str], Any]:
    """A context value (`-c`) when given, else the stage file's."""
    def get(key: str) -> Any:
        value = context(key)
        return settings.get(key) if value is None else value
    return get


@dataclass(frozen=True)
class InfraConfig:
    """What differs between deployments; every resource name comes from `resources`."""

    resources: Resources
    build_dir: Path = ROOT / "build"
    source_root: Path = ROOT
    stage: str = "dev"
    # each declared source's URL (stage key `<name>_url`), its default unless set
    source_urls: dict[str, str] = field(default_factory=lambda: {s.name: s.default_url for s in SOURCES})
    join: str = "inner"
    alarm_email: str = ""  # subscribed to the alarm topic
    runs_email: str = ""  # subscribed to the runs topic (an announcement per run)
    dashboard_url: str = ""  # linked from the notifications (the api stack's DashboardUrl output, or a domain)
    schedule: bool = True
    functions: bool = True  # false: no functions and no API stack (tests/localstack: LocalStack without Docker)
    github_repo: str = ""  # owner/name: adds the CI stack (OIDC provider and deploy role)
    github_branch: str = "main"
    oidc_provider_arn: str = ""  # an account has one GitHub provider: reuse it when it exists
    account: str = ""  # pinned by the stage file, else the CDK CLI's (CDK_DEFAULT_ACCOUNT)
    region: str = ""
    api_concurrency: int = API_CONCURRENCY  # 0: no reservation (an account whose limit is below 110)

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

    def environment(self, account: str | None, region: str | None) -> cdk.Environment | None:
        """Where the stacks go: the stage file's account and region, else those given (the CLI's).

        The CLI always names a region (us-east-1 when nothing says otherwise) but an account only
        with credentials, so its region alone pins nothing: the templates stay environment-agnostic.
        """
        account, region = self.account or account, self.region or region
        if account and region:
            return cdk.Environment(account=account, region=region)
        if self.account or self.region:  # the stage file pins what it names
            return cdk.Environment(account=self.account or None, region=self.region or None)
        return None

    @classmethod
    def from_context(cls, context: Any) -> InfraConfig:
        """`context` is `node.try_get_context`; values from `-c` arrive as strings, and win over the
        stage file's (`stages_dir`, for tests, names another folder of stage files)."""
        stage = context("stage") or "dev"
        if stage not in STAGES:
            raise SystemExit(f"-c stage={stage}: use dev (destroys cleanly) or prod (retains data)")
        get = layered(context, stage_file(stage, Path(context("stages_dir") or STAGES_DIR)))
        # SQS wants the visibility timeout well above the function timeout (AWS suggests 6x), so the
        # AWS default is longer than the emulators' 60 s.
        resources = Resources(
            prefix=get("prefix") or DEFAULT_PREFIX,
            visibility_timeout_s=int(get("visibility_timeout_s") or 360),
            max_receive_count=int(get("max_receive_count") or DEFAULT_MAX_RECEIVE_COUNT),
        )
        build_dir = Path(get("build_dir") or ROOT / "build")
        if missing_layers(build_dir):
            raise SystemExit(f"no Lambda layers {missing_layers(build_dir)} in {build_dir}/layers: run "
                             "`make lambda-layer` (or `make synth`, which builds them) first")
        return cls(
            resources=resources, build_dir=build_dir, source_root=Path(get("source_root") or ROOT), stage=stage,
            source_urls={s.name: get(f"{s.name}_url") or s.default_url for s in SOURCES},
            join=get("join") or "inner", alarm_email=get("alarm_email") or "", runs_email=get("runs_email") or "",
            dashboard_url=get("dashboard_url") or "",
            schedule=str(get("schedule") if get("schedule") is not None else True).lower() != "false",
            functions=str(get("functions") if get("functions") is not None else True).lower() != "false",
            github_repo=get("github_repo") or "", github_branch=get("github_branch") or "main",
            oidc_provider_arn=get("oidc_provider_arn") or "",
            account=str(get("account") or ""), region=get("region") or "",
            api_concurrency=int(get("api_concurrency") if get("api_concurrency") is not None else API_CONCURRENCY),
        )
