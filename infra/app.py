"""The CDK app: one data stack, one stack per pipeline service, one for the API and dashboard,
and, with `github_repo` in the stage file, one for the GitHub OIDC deploy role.

Stacks refer to each other's resources by their names (all from `shared.topology`), never by
CloudFormation exports, so each service stack deploys and rolls back on its own.
Run with `make synth`, `make deploy SERVICE=loader`, `make diff` (see docs/deploy.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk

if __package__ in (None, ""):  # run as `python3 app.py` by the cdk CLI
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra import nag  # noqa: E402
from infra.config import InfraConfig  # noqa: E402
from infra.stacks.api import ApiStack  # noqa: E402
from infra.stacks.assets import Assets  # noqa: E402
from infra.stacks.ci import CiStack  # noqa: E402
from infra.stacks.data import DataStack  # noqa: E402
from infra.stacks.service import SERVICES, ServiceStack  # noqa: E402


def build(app: cdk.App, account: str | None = None, region: str | None = None) -> dict[str, cdk.Stack]:
    """Add every stack to `app`; returns them by short name (data, extractor, ..., api, ci).

    `account` and `region` are where the CLI would deploy (its CDK_DEFAULT_ACCOUNT and _REGION); the
    stage file's, when it pins them, win. Neither: environment-agnostic templates.
    """
    config = InfraConfig.from_context(app.node.try_get_context)
    env = config.environment(account, region)
    prefix = config.prefix
    assets = Assets(config.source_root, config.build_dir)
    stacks: dict[str, cdk.Stack] = {"data": DataStack(app, f"{prefix}-data", config=config, env=env)}
    # Downstream first: a stack depends on the stacks whose queues it sends to, so `--all` deploys
    # consumers before their producers.
    for spec in reversed(SERVICES):
        stack = ServiceStack(app, f"{prefix}-{spec.name}", config=config, spec=spec, assets=assets, env=env)
        stack.add_stack_dependency(stacks["data"])
        for target in spec.sends_to:
            stack.add_stack_dependency(stacks[target])
        stacks[spec.name] = stack
    if config.functions:  # the API is a function behind an HTTP API
        stacks["api"] = ApiStack(app, f"{prefix}-api", config=config, assets=assets, env=env)
        stacks["api"].add_stack_dependency(stacks["data"])
    if config.github_repo:
        stacks["ci"] = CiStack(app, f"{prefix}-ci", config=config, env=env)
    for name, tagged in stacks.items():
        cdk.Tags.of(tagged).add("project", prefix)
        cdk.Tags.of(tagged).add("stage", config.stage)
        nag.suppress(tagged, name, config.resources.bucket)
    nag.check(app)
    return stacks


def main() -> None:
    app = cdk.App()
    build(app, os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION"))
    app.synth()


if __name__ == "__main__":
    main()
