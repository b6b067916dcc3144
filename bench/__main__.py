"""Run every benchmark module in turn; each has `main() -> int`.

Add a module (e.g. `bench.pipeline`) to MODULES to have `make bench` run it.
"""

from __future__ import annotations

import importlib
import sys

MODULES = ["bench.api", "bench.pipeline"]


def main(argv: list[str]) -> int:
    selected = argv or MODULES
    failed = 0
    for name in selected:
        print(f"# {name}", flush=True)
        failed += importlib.import_module(name).main() != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
