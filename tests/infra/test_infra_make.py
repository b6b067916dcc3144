"""`make synth` as an operator runs it: the pinned CDK CLI from package-lock.json, the app, every template,
in the account and region asked for (the CLI replaces CDK_DEFAULT_REGION with its own: the Makefile
hands it on as AWS_REGION)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "covid-etl-maketest"
ACCOUNT, REGION = "111111111111", "eu-west-1"


def test_make_synth_writes_every_template_with_its_assets(tmp_path: Path) -> None:
    assert shutil.which("npm"), "npm is needed for the CDK CLI (package.json)"
    out = tmp_path / "cdk.out"  # not infra/cdk.out: an operator's synth stays as it was
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_"))}
    env.update(CDK_DEFAULT_ACCOUNT=ACCOUNT, CDK_DEFAULT_REGION=REGION)  # as a person asks for a region
    result = subprocess.run(["make", "synth", f"PREFIX={PREFIX}", "STAGE=prod", f"CDK_OUT={out}"],
                            cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    names = {p.name for p in out.glob(f"{PREFIX}-*.template.json")}
    assert names == {f"{PREFIX}-{s}.template.json"
                     for s in ("data", "extractor", "transformer", "loader", "notifier", "api")}
    data = json.loads((out / f"{PREFIX}-data.template.json").read_text())
    (table,) = [r for r in data["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert table["Properties"]["TableName"] == PREFIX and table["DeletionPolicy"] == "Retain"  # the context
    (bucket,) = [r for r in data["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert bucket["Properties"]["BucketName"] == f"{PREFIX}-data-{ACCOUNT}-{REGION}"  # pinned, nag-clean
    assert not [p.name for p in out.glob("*.template.json") if "us-east-1" in p.read_text()]
    loader = json.loads((out / f"{PREFIX}-loader.template.json").read_text())
    folders = {r["Type"]: out / r["Metadata"]["aws:asset:path"] for r in loader["Resources"].values()
               if "aws:asset:path" in r.get("Metadata", {})}  # where each folder is (infra/README.md)
    assert set(folders) == {"AWS::Lambda::Function", "AWS::Lambda::LayerVersion"}
    assert all(folder.is_dir() for folder in folders.values())
    assert (folders["AWS::Lambda::LayerVersion"] / "python" / "pydantic").is_dir()  # the real base layer
    function = [r for r in loader["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
                and r["Properties"].get("FunctionName") == f"{PREFIX}-loader"][0]
    staged = out / function["Metadata"]["aws:asset:path"]
    assert sorted(p.name for p in (staged / "services").iterdir()) == ["__init__.py", "loader"]
