"""X-Ray: active tracing on every function, the roles allowed to send segments, the HTTP API untraced."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.stacks.assets import LAYERS, layer_dir
from tests.infra.cfn import STAGES, Synth, as_list, statements

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
FUNCTION_STACKS = (*STAGES, "api")
BUILD = Path(__file__).resolve().parents[2] / "build"
HANDLERS = ("shared.runtime.lambda_entry.handler", "services.api.lambda_function.handler")  # our code


@pytest.mark.parametrize("name", FUNCTION_STACKS)
def test_every_function_traces_actively(synth: Synth, name: str) -> None:
    functions = synth.resources(name, "AWS::Lambda::Function").values()
    ours = [f["Properties"] for f in functions if f["Properties"]["Handler"] in HANDLERS]
    assert len(ours) == 1 and ours[0]["TracingConfig"] == {"Mode": "Active"}, name
    # the rest are CDK's own custom resource handlers (the dashboard's upload and bucket clean-up)
    assert all(f["Properties"]["Handler"] in ("index.handler", "index.on_event") for f in functions
               if f["Properties"]["Handler"] not in HANDLERS), name


@pytest.mark.parametrize("name", FUNCTION_STACKS)
def test_the_function_roles_may_send_segments(synth: Synth, name: str) -> None:
    xray = [s for s in statements(synth, name, functions_only=True) if XRAY_ACTIONS & set(as_list(s["Action"]))]
    assert len(xray) == 1, f"{name}: {xray}"
    [statement] = xray
    # X-Ray's two actions take no resource-level permissions: "*" is all IAM allows for them
    assert set(as_list(statement["Action"])) == XRAY_ACTIONS and statement["Resource"] == "*"
    assert statement["Effect"] == "Allow" and "Condition" not in statement


def test_the_http_api_has_no_tracing_setting(synth: Synth) -> None:
    # X-Ray traces REST APIs only: an HTTP API's stage has no such property, the function is traced instead
    [stage] = synth.resources("api", "AWS::ApiGatewayV2::Stage").values()
    assert not {"TracingEnabled", "TracingConfig"} & set(stage["Properties"])
    assert "AWS::ApiGateway::Stage" not in {r["Type"] for r in synth.json("api")["Resources"].values()}


def test_the_base_layer_has_the_xray_sdk_and_no_copy_of_the_runtime_packages() -> None:
    """With the real layers (`make lambda-layer`): the X-Ray SDK needs botocore, which the runtime has."""
    for name in LAYERS:
        assert (layer_dir(BUILD, name) / ".built").is_file(), "run `make lambda-layer`"
        packages = {p.name for p in (layer_dir(BUILD, name) / "python").iterdir()}
        assert not {"boto3", "botocore", "s3transfer", "urllib3"} & packages, name
    assert {"aws_xray_sdk", "wrapt"} <= {p.name for p in (layer_dir(BUILD, "base") / "python").iterdir()}
