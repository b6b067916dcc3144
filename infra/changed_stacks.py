"""Which stacks a push must deploy, from the paths it changed (one per line on stdin).

Prints `all`, or the changed services' stack names (`loader notifier`), or nothing. A change under
`shared/`, to the CDK app, its layers or the pinned dependencies deploys every stack; under
`services/<name>/` that service's stack; under `web/` the API's (the dashboard is in it). Used by
`.github/workflows/deploy.yml`: `git diff --name-only BEFORE AFTER | python3 -m infra.changed_stacks`,
with a bare Python: the services come from `shared.topology`, which needs only the standard library.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from shared.topology import SERVICES

SERVICE_STACKS = (*(spec.name for spec in SERVICES), "api")  # a stack each (infra/app.py)
EVERYTHING = ("shared/", "infra/", "package.json", "package-lock.json", "requirements.lock")


def stacks_for(paths: Iterable[str]) -> list[str] | None:
    """None for every stack; else the stacks to deploy, in a stable order."""
    found: set[str] = set()
    for path in (p.strip() for p in paths):
        if not path or path.endswith(".md"):  # documentation deploys nothing
            continue
        if path.startswith(EVERYTHING):
            return None
        parts = path.split("/")
        if parts[0] == "services" and len(parts) > 2 and parts[1] in SERVICE_STACKS:
            found.add(parts[1])
        elif parts[0] == "web":
            found.add("api")
    return [s for s in SERVICE_STACKS if s in found]


def main() -> None:
    stacks = stacks_for(sys.stdin)
    print("all" if stacks is None else " ".join(stacks))


if __name__ == "__main__":
    main()
