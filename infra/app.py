"""The CDK app: one data stack, one stack per pipeline service, one for the API and dashboard.

Stacks refer to each other's resources by their names (all from `shared.topology`), never by
CloudFormation exports, so each service stack deploys and rolls back on its own.
Run from `infra/`: `cdk synth`, `cdk deploy --all`, `cdk deploy -e covid-etl-loader`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk

if __package__ in (None, ""):  # run as `python3 app.py` by the cdk CLI
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.config import InfraConfig  # noqa: E402
from infra.stacks.api import ApiStack  # noqa: E402
from infra.stacks.data import DataStack  # noqa: E402
from infra.stacks.service import SERVICES, ServiceStack  # noqa: E402


def build(app: cdk.App, env: cdk.Environment | None = None) -> dict[str, cdk.Stack]:
    """Add every stack to `app`; returns them by short name (data, extractor, ..., api)."""
    config = InfraConfig.from_context(app.node.try_get_context)
    prefix = config.prefix
    stacks: dict[str, cdk.Stack] = {"data": DataStack(app, f"{prefix}-data", config=config, env=env)}
    # Downstream first: a stack depends on the stacks whose queues it sends to, so `--all` deploys
    # consumers before their producers.
    for spec in reversed(SERVICES):
        stack = ServiceStack(app, f"{prefix}-{spec.name}", config=config, spec=spec, env=env)
        stack.add_stack_dependency(stacks["data"])
        for target in spec.sends_to:
            if target != spec.name:
                stack.add_stack_dependency(stacks[target])
        stacks[spec.name] = stack
    stacks["api"] = ApiStack(app, f"{prefix}-api", config=config, env=env)
    stacks["api"].add_stack_dependency(stacks["data"])
    for stack in stacks.values():
        cdk.Tags.of(stack).add("project", prefix)
    return stacks


def main() -> None:
    app = cdk.App()
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    build(app, cdk.Environment(account=account, region=region) if account and region else None)
    app.synth()


if __name__ == "__main__":
    main()
