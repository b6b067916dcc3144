"""The CDK app synthesized and deployed to LocalStack's CloudFormation, the way `cdk deploy` does it.

`synthesize` runs the real app (`infra.app.build`) with the given context into a `cdk.out`;
`deploy` plays the part of `cdk bootstrap` and `cdk deploy --all`: the bootstrap version parameter
that every template checks, then CreateStack for each stack in the order of the cloud assembly's
dependencies, waiting for each. The templates need no file asset but themselves (no function,
no custom resource), so no asset bucket is needed.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.sources import SourceServer

PREFIX = "cfnls"
# Without functions (LocalStack cannot run them without Docker); prod: no auto-delete custom resource.
CONTEXT = {"prefix": PREFIX, "functions": "false", "stage": "prod", "visibility_timeout_s": "60"}
BOOTSTRAP_VERSION = "/cdk-bootstrap/hnb659fds/version"  # the default synthesizer's qualifier
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def synthesize(outdir: Path, build_dir: Path, context: dict[str, str]) -> list[str]:
    """Synthesize the app into `outdir`; returns its stacks, dependencies first."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk

    from infra.app import build

    app = cdk.App(outdir=str(outdir), context={"build_dir": str(build_dir), **context})
    build(app)
    app.synth()
    return stack_order(outdir)


def stack_order(outdir: Path) -> list[str]:
    artifacts = json.loads((outdir / "manifest.json").read_text())["artifacts"]
    stacks = {name: [d for d in a.get("dependencies", []) if artifacts[d]["type"] == a["type"]]
              for name, a in artifacts.items() if a["type"] == "aws:cloudformation:stack"}
    order: list[str] = []

    def visit(name: str) -> None:
        for dependency in stacks[name]:
            visit(dependency)
        if name not in order:
            order.append(name)

    for name in stacks:
        visit(name)
    return order


def template(outdir: Path, stack: str) -> dict[str, Any]:
    return dict(json.loads((outdir / f"{stack}.template.json").read_text()))


@dataclass
class Deployed:
    """What CloudFormation made: per stack, its status, outputs and resources."""

    status: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def deploy(cfn: Any, ssm: Any, outdir: Path, stacks: list[str], timeout: float = 300) -> Deployed:
    ssm.put_parameter(Name=BOOTSTRAP_VERSION, Value="21", Type="String", Overwrite=True)  # `cdk bootstrap`'s
    result = Deployed()
    for stack in stacks:
        began = time.monotonic()
        cfn.create_stack(StackName=stack, TemplateBody=(outdir / f"{stack}.template.json").read_text(),
                         Capabilities=CAPABILITIES, OnFailure="DO_NOTHING")
        status = _wait(cfn, stack, began + timeout)
        result.seconds[stack] = round(time.monotonic() - began, 1)
        result.status[stack] = status
        described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        result.outputs[stack] = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        result.resources[stack] = cfn.describe_stack_resources(StackName=stack)["StackResources"]
        result.failures[stack] = [
            f"{e['LogicalResourceId']} ({e['ResourceType']}): {e.get('ResourceStatusReason')}"
            for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
            if e["ResourceStatus"].endswith("FAILED")]
        if status != "CREATE_COMPLETE":
            break  # the stacks after it depend on it
    return result


def _wait(cfn: Any, stack: str, deadline: float) -> str:
    while True:
        status = str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
        if not status.endswith("IN_PROGRESS"):
            return status
        if time.monotonic() > deadline:
            return f"{status} (still, after the test's deadline)"
        time.sleep(1)


def summary(deployed: Deployed) -> str:
    lines = ["stack: status (seconds) resources by type"]
    for stack, status in deployed.status.items():
        kinds = Counter(r["ResourceType"] for r in deployed.resources[stack])
        lines.append(f"{stack}: {status} ({deployed.seconds[stack]} s) "
                     + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
        lines += [f"  refused: {failure}" for failure in deployed.failures[stack]]
    return "\n".join(lines)


@dataclass
class Deployment:
    """The app as deployed by `deploy`, with the source server its extractor reads."""

    outdir: Path
    stacks: list[str]
    deployed: Deployed
    sources: SourceServer
    client: Any  # service name -> boto3 client on LocalStack


def placeholder_layers(build_dir: Path) -> Path:
    """No function is synthesized, so no layer is read; the app still asks that the folders exist."""
    from infra.stacks.assets import LAYERS

    for name in LAYERS:
        (build_dir / "layers" / name / "python").mkdir(parents=True)
    return build_dir
