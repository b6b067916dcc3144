"""Finding a system deployed on AWS from its prefix and region: the SSM parameters its stacks write.

The CDK app (`infra/`) writes one String parameter per setting under `/<prefix>/`, named by
`parameter_name`; the CLI reads them all with one paginated `GetParametersByPath` and gets the
same `COVID_ETL_*` environment that `covid-etl up` gives a local stack.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from shared import aws
from shared.topology import DEFAULT_PREFIX, QUEUES, SERVICE_PARAMETERS, parameter_name

__all__ = ["SETTINGS", "deployed_env", "parameter_name", "use_deployed", "variable"]

if TYPE_CHECKING:
    from types_boto3_ssm import SSMClient

# setting (the COVID_ETL_* variable without its prefix) -> parameter path under /<prefix>/
SETTINGS = {"TABLE": "table", "BUCKET": "bucket", "TOPIC_ARN": "topic-arn"}


def variable(prefix: str, name: str) -> str | None:
    """The COVID_ETL_* variable that a parameter's full name sets, or None for a parameter we do not read."""
    parts = name.removeprefix(f"/{prefix}/").split("/")
    if len(parts) == 1:
        setting = {v: k for k, v in SETTINGS.items()}.get(parts[0])
        return f"COVID_ETL_{setting}" if setting else None
    if len(parts) == 2 and parts[0] in QUEUES and parts[1] in SERVICE_PARAMETERS:
        return SERVICE_PARAMETERS[parts[1]](parts[0])
    return None


def deployed_env(prefix: str, client: SSMClient | None = None) -> dict[str, str]:
    """The COVID_ETL_* settings of the system deployed under `prefix` (empty if there is none)."""
    ssm = client or aws.lookup_client("ssm")
    env = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(Path=f"/{prefix}/", Recursive=True):
        for parameter in page["Parameters"]:
            name = variable(prefix, parameter["Name"])
            if name:
                env[name] = parameter["Value"]
    return {"COVID_ETL_PREFIX": prefix, **env} if env else {}


def use_deployed() -> bool:
    """Point this process at the deployed system named by COVID_ETL_PREFIX in the configured region.

    Only when no queue URL is set already and a region is configured; variables set by hand win.
    Returns whether a deployed system was found."""
    if os.environ.get("COVID_ETL_EXTRACTOR_QUEUE_URL") or not (
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")):
        return False
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        env = deployed_env(os.environ.get("COVID_ETL_PREFIX", DEFAULT_PREFIX))
    except (BotoCoreError, ClientError):  # no credentials, no access: the CLI says what is missing
        return False
    for key, value in env.items():
        os.environ.setdefault(key, value)
    return bool(env)
