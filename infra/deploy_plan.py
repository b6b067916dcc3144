"""What a deploy of commit HEAD must do, given the commit last deployed to the stage (BASE).

`python3 -m infra.deploy_plan BASE HEAD` prints one line, `stacks=<all | names | nothing>`, then
the reason. The base is the value of the SSM parameter `/<prefix>/deployed-commit`, written by
`.github/workflows/deploy-stage.yml` after a successful deploy, so the diff covers every commit
since then, including those of runs that were cancelled or failed (a push's diff against its
parent would lose them). `python3 -m infra.deploy_plan --parameter STAGE` prints that parameter's
name. Bare Python, standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from infra.changed_stacks import stacks_for
from shared.topology import DEFAULT_PREFIX

ROOT = Path(__file__).resolve().parents[1]
NOTHING = "nothing"


@dataclass(frozen=True)
class Plan:
    stacks: str  # "all", stack names separated by spaces, or "nothing"
    reason: str
    record: bool  # write HEAD as the deployed commit afterwards (never when HEAD is behind)


def git(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def is_ancestor(older: str, newer: str, cwd: Path) -> bool:
    return git("merge-base", "--is-ancestor", older, newer, cwd=cwd).returncode == 0


def plan(base: str, head: str, cwd: Path = ROOT) -> Plan:
    if not base:
        return Plan("all", "no deployed commit recorded: first deploy", True)
    if git("cat-file", "-e", f"{base}^{{commit}}", cwd=cwd).returncode != 0:
        return Plan("all", f"the deployed commit {base} is not in this history (rewritten?)", True)
    if base == head or is_ancestor(head, base, cwd):
        # A run of an older commit that finished after a newer one's deploy: deploying it would roll back.
        return Plan(NOTHING, f"{head} is already deployed (deployed commit {base})", False)
    if not is_ancestor(base, head, cwd):
        return Plan("all", f"the deployed commit {base} is not an ancestor of {head}", True)
    diff = git("diff", "--name-only", base, head, cwd=cwd)
    if diff.returncode != 0:
        return Plan("all", f"git diff failed: {diff.stderr.strip()}", True)
    stacks = stacks_for(diff.stdout.splitlines())
    if stacks is None:
        return Plan("all", f"changes since {base} reach every stack", True)
    return Plan(" ".join(stacks) or NOTHING, f"changes since {base}", True)


def prefix(stage: str) -> str:
    """The stage's resource prefix: $PREFIX, else `prefix` of infra/stages/<stage>.json, else the default."""
    settings = ROOT / "infra" / "stages" / f"{stage}.json"
    from_file = json.loads(settings.read_text()).get("prefix") if settings.is_file() else None
    return os.environ.get("PREFIX") or from_file or DEFAULT_PREFIX


def parameter(stage: str) -> str:
    return f"/{prefix(stage)}/deployed-commit"


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--parameter":
        print(parameter(argv[1]))
        return 0
    if len(argv) != 2:
        print("usage: python3 -m infra.deploy_plan BASE HEAD | --parameter STAGE", file=sys.stderr)
        return 2
    result = plan(argv[0], argv[1])
    print(f"stacks={result.stacks}\nrecord={'true' if result.record else 'false'}\nreason={result.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
