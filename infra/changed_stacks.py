"""Which stacks a deploy must update, from the paths changed since the last deployed commit.

Prints `all`, or the changed services' stack names (`loader notifier`), or nothing. Only what is
known to reach no template or asset deploys nothing (documentation, tests, benchmarks, the
container files, CI's own files); a change under `services/<name>/` deploys that service's stack,
under `web/` the API's (the dashboard is in it); anything else deploys every stack: `shared/`,
`services/__init__.py`, `infra/` (stacks, layers, stage settings), `covid_etl/` (the CDK app
imports `covid_etl.deployed`), the Makefile, pyproject.toml, the lockfiles and package.json (they
install what synthesizes), `tools/`, and any path this list does not know yet.
Used by `infra/deploy_plan.py` with a bare Python: the services come from `shared.topology`, which
needs only the standard library.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from shared.topology import SERVICES

SERVICE_STACKS = (*(spec.name for spec in SERVICES), "api")  # a stack each (infra/app.py)
# Read by no synth and no asset. Dockerfile and compose: the containers, not the CDK app.
NOTHING = ("docs/", "tests/", "bench/", ".github/", ".ci/", "docker/", "Dockerfile", "docker-compose.yml",
           ".dockerignore", ".gitignore", "LICENSE")


def stacks_for(paths: Iterable[str]) -> list[str] | None:
    """None for every stack; else the stacks to deploy, in a stable order."""
    found: set[str] = set()
    for path in (p.strip() for p in paths):
        if not path or path.startswith(NOTHING) or (path.endswith(".md") and not path.startswith("web/")):
            continue
        parts = path.split("/")
        if parts[0] == "services" and len(parts) > 2 and parts[1] in SERVICE_STACKS:
            found.add(parts[1])
        elif parts[0] == "web":
            found.add("api")
        else:
            return None
    return [s for s in SERVICE_STACKS if s in found]


def main() -> None:
    stacks = stacks_for(sys.stdin)
    print("all" if stacks is None else " ".join(stacks))


if __name__ == "__main__":
    main()
