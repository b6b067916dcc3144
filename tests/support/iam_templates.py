"""The synthesized CloudFormation templates, read as AWS would deploy them: each function's role and
its statements with every value resolved to a literal, and the deployed names of the resources.

The CDK app is synthesized in-process without an environment (as `tests/infra` does: cdk-nag's
acknowledgements name the unresolved ARNs), so pseudo parameters are resolved here with a fixed
account and region. A value known only at deploy (a KMS key's id) becomes a stable placeholder ARN,
the same wherever it is referred to (the topic's key, and the notifier's grant via SSM).
Only the templates are read: nothing of `infra/stacks/access.py`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ACCOUNT, REGION, PARTITION, URL_SUFFIX = "123456789012", "eu-west-1", "aws", "amazonaws.com"
PSEUDO = {"AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": PARTITION,
          "AWS::URLSuffix": URL_SUFFIX, "AWS::StackName": "stack", "AWS::NoValue": ""}
Template = dict[str, Any]


def synthesize() -> dict[str, Template]:
    """Every stack's template by short name (data, extractor, ..., api), with placeholder layers."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk

    from infra.app import build
    from infra.stacks.assets import LAYERS

    root = Path(tempfile.mkdtemp(prefix="iam-synth-"))
    for name in LAYERS:  # the real layers are built by `make lambda-layer`; their contents are not read
        (root / "layers" / name / "python").mkdir(parents=True)
        (root / "layers" / name / "python" / "placeholder.txt").write_text("placeholder\n")
    app = cdk.App(outdir=str(root / "cdk.out"), context={"build_dir": str(root)})
    stacks = build(app)
    assembly = app.synth()
    return {name: dict(assembly.get_stack_by_name(stack.stack_name).template) for name, stack in stacks.items()}


class Resolver:
    """CloudFormation intrinsics to literals, across the templates of one app."""

    def __init__(self, templates: dict[str, Template]) -> None:
        self.templates = templates

    def __call__(self, value: Any, where: str) -> Any:
        if isinstance(value, list):
            return [self(v, where) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            return self._ref(value["Ref"], where)
        if "Fn::GetAtt" in value:
            logical, attribute = value["Fn::GetAtt"]
            return self._attribute(logical, attribute, where)
        if "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return sep.join(str(self(p, where)) for p in parts)
        if "Fn::Sub" in value:
            text, extra = (value["Fn::Sub"], {}) if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"]
            for name, sub in {**PSEUDO, **{k: self(v, where) for k, v in extra.items()}}.items():
                text = text.replace("${" + name + "}", str(sub))
            return text
        if len(value) == 1 and next(iter(value)).startswith("Fn::"):
            raise ValueError(f"{where}: cannot resolve {value}")
        return {k: self(v, where) for k, v in value.items()}

    def _ref(self, name: str, where: str) -> Any:
        tpl = self.templates[where]
        if name in PSEUDO:
            return PSEUDO[name]
        if name in tpl.get("Parameters", {}):
            return self._parameter(tpl["Parameters"][name])
        resource = tpl["Resources"][name]
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{props['QueueName']}"
        if resource["Type"] == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{props['TopicName']}"
        if resource["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::IAM::Role", "AWS::Logs::LogGroup"):
            key = {"AWS::DynamoDB::Table": "TableName", "AWS::S3::Bucket": "BucketName", "AWS::IAM::Role": "RoleName",
                   "AWS::Logs::LogGroup": "LogGroupName"}[resource["Type"]]
            return self(props.get(key, name), where)
        return f"<{where}:{name}>"  # an id AWS makes at deploy (a key id, ...)

    def _attribute(self, logical: str, attribute: str, where: str) -> str:
        resource = self.templates[where]["Resources"][logical]
        kind, props = resource["Type"], resource.get("Properties", {})
        arn = f"arn:{PARTITION}:{{}}:{REGION}:{ACCOUNT}:{{}}"
        if kind == "AWS::SQS::Queue" and attribute == "Arn":
            return arn.format("sqs", props["QueueName"])
        if kind == "AWS::Logs::LogGroup" and attribute == "Arn":
            return arn.format("logs", f"log-group:{self(props['LogGroupName'], where)}:*")
        if kind == "AWS::KMS::Key" and attribute == "Arn":
            return arn.format("kms", f"key/<{where}:{logical}>")
        if kind == "AWS::DynamoDB::Table" and attribute == "Arn":
            return arn.format("dynamodb", f"table/{self(props['TableName'], where)}")
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:{PARTITION}:s3:::{self(props['BucketName'], where)}"
        if kind == "AWS::IAM::Role" and attribute == "Arn":
            return f"arn:{PARTITION}:iam::{ACCOUNT}:role/{self(props['RoleName'], where)}"
        return f"<{where}:{logical}.{attribute}>"

    def _parameter(self, parameter: dict[str, Any]) -> Any:
        """An SSM-backed parameter: the value of the SSM parameter of that name in one of the templates."""
        if parameter.get("Type", "").startswith("AWS::SSM::Parameter::Value"):
            for where, tpl in self.templates.items():
                for resource in tpl["Resources"].values():
                    props = resource.get("Properties", {})
                    if resource["Type"] == "AWS::SSM::Parameter" and props.get("Name") == parameter["Default"]:
                        return self(props["Value"], where)
        return parameter.get("Default", "<parameter>")


@dataclass
class Role:
    """A function's role: its resolved statements, each with the policy it came from."""

    service: str
    function: str
    statements: list[dict[str, Any]]
    environment: dict[str, str]
    unreadable: list[str]  # managed policies, whose text is not in the templates


def service_of(function: dict[str, Any]) -> str | None:
    env = function.get("Environment", {}).get("Variables", {})
    if "COVID_ETL_SERVICE" in env:
        return str(env["COVID_ETL_SERVICE"])
    return "api" if str(function.get("Handler", "")).startswith("services.api.") else None


def roles(templates: dict[str, Template]) -> dict[str, Role]:
    """The role of each service's function, by service name."""
    resolve, found = Resolver(templates), {}
    for where, tpl in templates.items():
        resources = tpl["Resources"]
        for logical, resource in resources.items():
            props = resource.get("Properties", {})
            service = service_of(props) if resource["Type"] == "AWS::Lambda::Function" else None
            if service is None:
                continue
            role_id = props["Role"]["Fn::GetAtt"][0]
            statements = [dict(s, Policy=f"{where}/{role_id} inline {p['PolicyName']}")
                          for p in resources[role_id]["Properties"].get("Policies", [])
                          for s in p["PolicyDocument"]["Statement"]]
            for pid, policy in resources.items():
                if policy["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and \
                        {"Ref": role_id} in policy["Properties"].get("Roles", []):
                    statements += [dict(s, Policy=f"{where}/{pid}")
                                   for s in policy["Properties"]["PolicyDocument"]["Statement"]]
            env = resolve(props.get("Environment", {}).get("Variables", {}), where)
            managed = [str(resolve(m, where)) for m in resources[role_id]["Properties"].get("ManagedPolicyArns", [])]
            found[service] = Role(service, f"{where}/{logical}", [resolve(s, where) for s in statements], env, managed)
    return found


class DeployedNames:
    """Maps the names of the local stack (`stack.json`'s env) to the ARNs they have when deployed:
    a table, bucket or topic by the setting that names it in both; a queue by its name."""

    def __init__(self, templates: dict[str, Template], local_env: dict[str, str], found: dict[str, Role]) -> None:
        self.templates, self.resolve = templates, Resolver(templates)
        self.by_value: dict[str, str] = {}
        for role in found.values():
            for var, deployed in role.environment.items():
                if var in local_env and var.endswith(("_TABLE", "_BUCKET", "_TOPIC_ARN")):
                    self.by_value[local_env[var]] = deployed
        tables = [r for t in templates.values() for r in t["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
        self.hash_key = next(k["AttributeName"] for k in tables[0]["Properties"]["KeySchema"] if k["KeyType"] == "HASH")

    def _name(self, local: str) -> str:
        return self.by_value.get(local, f"<unknown local resource {local}>")

    def table(self, name: str) -> str:
        return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{self._name(name)}"

    def bucket(self, name: str) -> str:
        return f"arn:{PARTITION}:s3:::{self._name(name)}"

    def queue(self, url_or_name: str) -> str:
        name = urlparse(url_or_name).path.rstrip("/").rsplit("/", 1)[-1]  # names are the same here and there
        return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}"

    def topic(self, arn: str) -> str:
        return self._name(arn)

    def topic_key(self, topic_arn: str) -> str | None:
        """The deployed topic's KMS key ARN, or None when the topic is not encrypted."""
        name = self.topic(topic_arn).rsplit(":", 1)[-1]
        for where, tpl in self.templates.items():
            for resource in tpl["Resources"].values():
                props = resource.get("Properties", {})
                if resource["Type"] == "AWS::SNS::Topic" and props.get("TopicName") == name:
                    key = props.get("KmsMasterKeyId")
                    return str(self.resolve(key, where)) if key else None
        return None
