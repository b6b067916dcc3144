"""`make bench`: every benchmark module in turn (each has `main() -> int`), then docs/benchmarks.md.

`python -m bench bench.pipeline` runs one module; the report is written from whatever figures
artifacts/ holds (`bench.report`).
"""

from __future__ import annotations

import importlib
import sys

MODULES = ["bench.api", "bench.pipeline", "bench.coldstart", "bench.scale", "bench.world"]


def main(argv: list[str]) -> int:
    selected = argv or MODULES
    failed = 0
    for name in selected:
        print(f"# {name}", flush=True)
        failed += importlib.import_module(name).main() != 0
    from bench import report

    report.main()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
