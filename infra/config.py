"""Deployment settings, read from CDK context (`cdk.json` or `-c key=value`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.settings import JHU_URL, NYT_URL
from shared.topology import DEFAULT_MAX_RECEIVE_COUNT, DEFAULT_PREFIX, Resources

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LAYER_DIR = ROOT / "build" / "lambda-layer"


@dataclass(frozen=True)
class InfraConfig:
    """What differs between deployments; every resource name comes from `resources`."""

    resources: Resources
    layer_dir: Path
    nyt_url: str = NYT_URL
    jhu_url: str = JHU_URL
    join: str = "inner"
    alarm_email: str = ""
    schedule: bool = True

    @property
    def prefix(self) -> str:
        return self.resources.prefix

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
        layer_dir = Path(get("layer_dir") or DEFAULT_LAYER_DIR)
        if not (layer_dir / "python").is_dir():
            raise SystemExit(f"no Lambda layer at {layer_dir}/python: run `make lambda-layer` first "
                             "(or pass -c layer_dir=FOLDER)")
        return cls(
            resources=resources, layer_dir=layer_dir,
            nyt_url=get("nyt_url") or NYT_URL, jhu_url=get("jhu_url") or JHU_URL,
            join=get("join") or "inner", alarm_email=get("alarm_email") or "",
            schedule=str(get("schedule") if get("schedule") is not None else True).lower() != "false",
        )
