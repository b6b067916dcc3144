"""Reading synthesized templates: resource lookups, flattened values, IAM statements."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from covid_etl.resources import Resources

RES = Resources(visibility_timeout_s=360, max_receive_count=5)  # the AWS defaults of infra/config.py
BUCKET = f"{RES.bucket}-${{AWS::AccountId}}-${{AWS::Region}}"  # as `flat` shows it
STAGES = ("extractor", "transformer", "loader", "notifier")
GITHUB_REPO = "acme/covid-etl"
ACCOUNT, REGION = "111111111111", "eu-west-1"  # a pinned environment, as the CDK CLI sets it with credentials


@dataclass
class Synth:
    outdir: Path
    stacks: dict[str, cdk.Stack]
    templates: dict[str, Template]
    build_dir: Path

    def json(self, name: str) -> dict[str, Any]:
        return dict(self.templates[name].to_json())

    def resources(self, name: str, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json(name)["Resources"].items() if v["Type"] == kind}

    def one(self, name: str, kind: str) -> dict[str, Any]:
        found = list(self.resources(name, kind).values())
        assert len(found) == 1, f"{name}: {len(found)} {kind}"
        return found[0]



def flat(value: Any, resources: dict[str, Any] | None = None) -> str:
    """A CloudFormation value as text: pseudo parameters as ${AWS::...}, a Ref to a queue as its name."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(flat(p, resources) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        target = (resources or {}).get(value["Ref"])
        if target and target["Type"] == "AWS::SQS::Queue":
            return f"queue:{target['Properties']['QueueName']}"
        return "${" + value["Ref"] + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = (resources or {}).get(value["Fn::GetAtt"][0])
        if target and target["Type"] == "AWS::SQS::Queue":
            return f"queue:{target['Properties']['QueueName']}"
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        return value["Fn::Sub"]
    raise AssertionError(f"unexpected value {value!r}")


def arn_name(value: Any, resources: dict[str, Any] | None = None) -> str:
    """The resource name at the end of an ARN (or `queue:<name>` of a queue in the same stack)."""
    text = flat(value, resources)
    return text.removeprefix("queue:").rsplit(":", 1)[-1].rsplit("/", 1)[-1]


def statements(synth: Synth, name: str, functions_only: bool = False) -> list[dict[str, Any]]:
    """Every IAM policy statement attached to roles in a stack (or to the pipeline functions' roles only:
    `Service/Role`, `Api/Role`, not CDK's own custom resources)."""
    found = []
    for policy in synth.resources(name, "AWS::IAM::Policy").values():
        roles = [r.get("Ref", "") for r in policy["Properties"].get("Roles", [])]
        if functions_only and not any(r.startswith(("ServiceRole", "ApiRole")) for r in roles):
            continue
        found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
