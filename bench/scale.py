"""Scale: the transformer on synthetic JHU files 10x and 100x the real one, time and peak RSS.

The files are made here from the real one: more countries (copies of each country and province
under new names), more dates (the series continued past the real last date), the same schema, the
US national series among them. Each figure is one fresh process that imports the transformer,
parses the file as the transformer does and reports its time and its peak RSS (VmHWM); the
same process's RSS after the imports alone is given beside it.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JHU = ROOT.parent / "shared" / "data" / "jhu" / "time-series-19-covid-combined.csv"
NYT = ROOT.parent / "shared" / "data" / "nyt" / "us.csv"
# factor: (copies of each country, spans of dates)
FACTORS = {1: (1, 1), 10: (5, 2), 100: (25, 4)}
REPEAT = int(os.environ.get("BENCH_SCALE_REPEAT", "3"))
CHILD = """
import json, re, sys, time
def peak_kb():  # VmHWM: this process image's peak RSS (ru_maxrss would include the forking parent's)
    return int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
from services.transformer import parse
rss_imports = peak_kb()
t0 = time.perf_counter()
frame = parse.parse_jhu_file(sys.argv[1]) if hasattr(parse, "parse_jhu_file") else \\
    parse.parse_jhu(open(sys.argv[1], "rb").read())
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "rows": len(frame), "rss_kb": peak_kb(), "rss_imports_kb": rss_imports}))
"""


def synthesize(factor: int, path: Path) -> None:
    """JHU's file with `copies` x the series and `spans` x the dates."""
    copies, spans = FACTORS[factor]
    with open(JHU, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    first = date.fromisoformat(min(r[0] for r in body))
    days = (date.fromisoformat(max(r[0] for r in body)) - first).days + 1
    with open(path, "w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for copy in range(copies):
            for day, country, province, *counts in body:
                if copy and (country, province) == ("US", ""):
                    continue  # one US national series
                name = country if copy == 0 else f"{country} {copy}"
                for span in range(spans):
                    shifted = (date.fromisoformat(day) + timedelta(days=span * days)).isoformat()
                    grown = [str(int(float(c)) + span * 1000) if c else "" for c in counts]
                    writer.writerow([shifted, name, province, *grown])


def sample(path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def measure() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        for factor in FACTORS:
            path = folder / f"jhu-{factor}x.csv"
            synthesize(factor, path)
            samples = [sample(path) for _ in range(REPEAT)]
            rows.append({"what": f"{factor}x", "bytes": path.stat().st_size,
                         "seconds": statistics.median(s["seconds"] for s in samples),
                         "rss_mb": statistics.median(s["rss_kb"] for s in samples) / 1024,
                         "rss_imports_mb": statistics.median(s["rss_imports_kb"] for s in samples) / 1024,
                         "us_rows": samples[0]["rows"], "load": os.getloadavg()[0]})
            path.unlink()
            print(f"  scale {factor}x: {rows[-1]}", flush=True)
    finally:
        for leftover in folder.glob("*"):
            leftover.unlink()
        folder.rmdir()
    return rows


def main() -> int:
    if not JHU.is_file():
        print("../shared/data not found: the scale benchmark needs the real JHU snapshot")
        return 0
    from bench import results

    results.save("scale", measure())
    return 0
