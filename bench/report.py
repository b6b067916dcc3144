"""docs/benchmarks.md from the figures: every target of issue 10, before and after, met or not.

`python -m bench.report` renders `bench/before/*.json` (measured before the performance work) beside
`artifacts/*.json` (the last `make bench`), then appends `bench/notes.md` (what bounds each figure).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import results, world_report

ROOT = Path(__file__).resolve().parents[1]
Rows = list[dict[str, Any]]
LOOP, REAL = "loopback", "realistic"
A, B, C = "(a) full load into an empty table", "(b) one new day (NYT changed, JHU not)", "(c) no change"
FIRST, PAINT = "first run after up", "dashboard first paint with data"


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def picked(rows: Rows, profile: str, what: str) -> Rows:
    return [r for r in rows if r["profile"] == profile and r["what"] == what]


def ratio(rows: Rows, profile: str, what: str) -> float | None:
    """Median of the per-repetition ratios pipeline / peer (each pair measured back to back)."""
    return median([r["pipeline"]["run"] / r["peer"] for r in picked(rows, profile, what) if r["peer"]])


def stage(rows: Rows, profile: str, what: str, key: str) -> float | None:
    return median([r["pipeline"][key] for r in picked(rows, profile, what) if key in r["pipeline"]])


def hops(rows: Rows) -> float | None:
    warm = [r for r in rows if r["what"] in (A, B, C)]
    return median([v for r in warm for k, v in r["pipeline"].items() if k.startswith("hop ")])


def first_vs_warm(rows: Rows) -> float | None:
    firsts, warms = picked(rows, LOOP, FIRST), picked(rows, LOOP, A)
    return median([f["pipeline"]["run"] / w["pipeline"]["run"] for f, w in zip(firsts, warms, strict=False)])


def cli_lag(rows: Rows) -> float | None:
    return median([r["pipeline"]["cli after announcement"] for r in rows if "cli after announcement" in r["pipeline"]])


def loads(rows: Rows) -> str:
    values = [r["load"] for r in rows if "load" in r]
    return f"{min(values):.1f}-{max(values):.1f}" if values else ""


Target = tuple[str, str, Callable[[dict[str, Any]], float | None], Callable[[float], bool], str]


def targets() -> list[Target]:
    def pipe(f: Callable[[Rows], float | None]) -> Callable[[dict[str, Any]], float | None]:
        return lambda d: f(d["pipeline"]["rows"]) if d.get("pipeline") else None

    def cold(name: str) -> Callable[[dict[str, Any]], float | None]:
        def get(d: dict[str, Any]) -> float | None:
            rows = [r for r in (d.get("coldstart") or {}).get("rows", []) if r["what"] == name]
            return rows[0]["entry"] * 1000 if rows else None
        return get

    def scale(key: str) -> Callable[[dict[str, Any]], float | None]:
        def get(d: dict[str, Any]) -> float | None:
            rows = {r["what"]: r for r in (d.get("scale") or {}).get("rows", [])}
            if "100x" not in rows or "1x" not in rows:
                return None
            big, one = rows["100x"], rows["1x"]
            if key == "linear":  # time per byte at 100x over time per byte at 1x
                return (big["seconds"] / big["bytes"]) / (one["seconds"] / one["bytes"])
            return float(big["rss_mb"] * 2**20 / big["bytes"])
        return get

    def api(route: str) -> Callable[[dict[str, Any]], float | None]:
        def get(d: dict[str, Any]) -> float | None:
            rows = [r for r in (d.get("api") or {}).get("rows", []) if r["connections"] == 256
                    and r["route"] == route and r["workers"] == "sync"]
            return rows[0]["p99_ms"] if rows else None
        return get

    def at_most(limit: float) -> Callable[[float], bool]:
        return lambda v: v <= limit

    out: list[Target] = [
        ("loopback (a) full load, ratio to the peer", "<= 2.0", pipe(lambda r: ratio(r, LOOP, A)), at_most(2.0), "x"),
        ("loopback (b) one new day, ratio", "<= 2.0", pipe(lambda r: ratio(r, LOOP, B)), at_most(2.0), "x"),
        ("loopback (c) no change, ratio", "<= 1.0", pipe(lambda r: ratio(r, LOOP, C)), at_most(1.0), "x"),
        ("realistic (b) one new day, ratio", "<= 0.6", pipe(lambda r: ratio(r, REAL, B)), at_most(0.6), "x"),
        ("realistic (c) no change, ratio", "<= 0.3", pipe(lambda r: ratio(r, REAL, C)), at_most(0.3), "x"),
        ("hop (a stage's end to the next one's start), median of all warm hops", "<= 25 ms",
         pipe(lambda r: _ms(hops(r))), at_most(25), "ms"),
        ("transform stage of the real files, (a) loopback (the JHU frame kept from the first run)", "<= 150 ms",
         pipe(lambda r: _ms(stage(r, LOOP, A, "transform"))), at_most(150), "ms"),
        ("transform stage parsing both real files (the first run after `up`), loopback", "<= 150 ms",
         pipe(lambda r: _ms(stage(r, LOOP, FIRST, "transform"))), at_most(150), "ms"),
        ("load stage of a one-day change, (b) loopback", "<= 80 ms",
         pipe(lambda r: _ms(stage(r, LOOP, B, "load"))), at_most(80), "ms"),
        ("extract stage, both sources unchanged, (c) loopback", "<= 40 ms",
         pipe(lambda r: _ms(stage(r, LOOP, C, "extract"))), at_most(40), "ms"),
        ("first run after `up` / warm (a), same stack", "<= 1.5", pipe(first_vs_warm), at_most(1.5), "x"),
        ("`covid-etl run --wait` exit after the announcement", "<= 300 ms", pipe(lambda r: _ms(cli_lag(r))),
         at_most(300), "ms"),
    ]
    for name in ("extractor", "loader", "notifier", "api"):
        out.append((f"cold start: {name} entrypoint import beyond boto3, Python 3.12", "<= 300 ms", cold(name),
                    at_most(300), "ms"))
    out += [
        ("cold start: transformer entrypoint import beyond boto3, Python 3.12", "<= 1000 ms", cold("transformer"),
         at_most(1000), "ms"),
        ("scale: transform time per byte at 100x / at 1x (linear = 1.0)", "<= 1.0 (at most linear)",
         scale("linear"), at_most(1.1), "x"),
        ("scale: peak RSS at 100x / the file's size", "< 0.5", scale("rss"), lambda v: v < 0.5, "x"),
        ("API `/api/v1/ping` p99 at 256 connections (sync, as `up` runs it)", "(kept, reported)", api("/api/v1/ping"),
         lambda v: True, "ms"),
        ("API `/api/v1/daily` gzip p99 at 256 connections", "(kept, reported)", api("/api/v1/daily"),
         lambda v: True, "ms"),
        ("dashboard first paint with data, loopback, Chromium", "< 1000 ms",
         pipe(lambda r: _ms(stage(r, LOOP, PAINT, "paint"))), lambda v: v < 1000, "ms"),
    ]
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "not measured"
    return f"{value:.2f}x" if unit == "x" else f"{value:,.0f} ms"


def figures(before: bool) -> dict[str, Any]:
    return {name: results.load(name, before) for name in ("pipeline", "api", "coldstart", "scale")}


def summary() -> str:
    old, new = figures(True), figures(False)
    lines = ["| target | goal | before | after | after: met? |", "|---|---|---:|---:|---|"]
    for what, goal, get, ok, unit in targets():
        b, a = get(old), get(new)
        verdict = "" if a is None else ("reported" if goal.startswith("(") else "met" if ok(a) else "**missed**")
        lines.append(f"| {what} | {goal} | {fmt(b, unit)} | {fmt(a, unit)} | {verdict} |")
    return "\n".join(lines)


def pipeline_table(data: dict[str, Any] | None) -> str:
    if not data:
        return "(not measured)"
    rows: Rows = data["rows"]
    lines = ["| profile | run | peer s | pipeline s (ledger) | ratio | extract | transform | load | notify | "
             "hops ms | counts (pipeline / peer) | load avg |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for profile in (LOOP, REAL):
        for what in (FIRST, A, B, C):
            mine = picked(rows, profile, what)
            if not mine:
                continue
            peer = median([r["peer"] for r in mine if r["peer"]])
            run = median([r["pipeline"]["run"] for r in mine])
            cells = [fmt(_ms(stage(rows, profile, what, s)), "ms") if stage(rows, profile, what, s) is not None
                     else "" for s in ("extract", "transform", "load", "notify")]
            hop = ", ".join(f"{_ms(median([r['pipeline'][k] for r in mine if k in r['pipeline']])) or 0:.0f}"
                            for k in mine[0]["pipeline"] if k.startswith("hop "))
            r = ratio(rows, profile, what)
            lines.append(f"| {profile} | {what} | {peer or 0:.3f} | {run:.3f} | {f'{r:.2f}' if r else ''} | "
                         f"{' | '.join(cells)} | {hop} | {mine[-1]['counts']} | {loads(mine)} |")
    return "\n".join(lines)


def emulator_table(data: dict[str, Any] | None) -> str:
    rows = [r for r in (data or {}).get("rows", []) if r["what"] == "emulator per request"]
    if not rows:
        return "(not measured)"
    lines = ["| call | ms per request (median of the repetitions' medians) |", "|---|---:|"]
    for call in rows[0]["pipeline"]:
        lines.append(f"| {call} | {median([r['pipeline'][call] for r in rows]) * 1000:.1f} |")  # type: ignore[operator]
    return "\n".join(lines)


def detail_tables(d: dict[str, Any]) -> str:
    out = []
    cold = (d.get("coldstart") or {}).get("rows", [])
    if cold:
        out += ["| entrypoint | import beyond boto3 ms | boto3 itself ms | Python | load avg |",
                "|---|---:|---:|---|---|"]
        out += [f"| {r['what']} | {r['entry'] * 1000:.0f} | {r['boto3'] * 1000:.0f} | {r['python']} | {r['load']:.1f} |"
                for r in cold]
        out.append("")
    scale = (d.get("scale") or {}).get("rows", [])
    if scale:
        out += ["| JHU file | MB | parse s | s per MB | peak RSS MB | RSS after imports MB | US rows | load avg |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        out += [f"| {r['what']} | {r['bytes'] / 2**20:.0f} | {r['seconds']:.2f} | "
                f"{r['seconds'] / (r['bytes'] / 2**20):.3f} | {r['rss_mb']:.0f} | {r['rss_imports_mb']:.0f} | "
                f"{r['us_rows']} | {r['load']:.1f} |" for r in scale]
        out.append("")
    api = (d.get("api") or {}).get("rows", [])
    if api:
        out += ["| workers | connections | route | what | requests/s | p99 ms | load avg |",
                "|---|---:|---|---|---:|---:|---|"]
        out += [f"| {r['workers']} | {r['connections']} | `{r['route']}` | {r['what']} | {r['rps']:,.0f} | "
                f"{r['p99_ms']:.1f} | {r['load']:.1f} |" for r in api]
    return "\n".join(out) if out else "(not measured)"


def render() -> str:
    old, new = figures(True), figures(False)
    meta = [f"{k}: measured {d['meta']['measured']} at {d['meta'].get('commit', '?')} on {d['meta']['machine']}, "
            f"load average {d['meta']['load_end']:.1f} at its end" for k, d in new.items() if d]
    meta_old = [f"{k}: {d['meta']['measured']}, load average {d['meta']['load_end']:.1f}" for k, d in old.items() if d]
    notes = (ROOT / "bench" / "notes.md")
    return "\n".join([
        "# Benchmarks", "",
        "Written by `make bench` (`python -m bench`, then `python -m bench.report`). Benchmarks are not tests: "
        "they measure and report, they do not fail on a missed target. Every comparison is measured in one run, "
        "each pipeline run back to back with the same run of the single-process peer; figures are medians of "
        "the repetitions (`BENCH_REPEAT`, default 5). The machine (2 CPUs) is shared: the load average is given "
        "beside the figures; compare ratios, not absolute times, across runs.", "",
        "## Every target", "", summary(), "",
        "After: " + "; ".join(meta) + ".", "", "Before: " + "; ".join(meta_old) + ".", "",
        "## Pipeline against the single-process peer (after)", "", pipeline_table(new.get("pipeline")), "",
        "## Pipeline against the single-process peer (before)", "", pipeline_table(old.get("pipeline")), "",
        "## The emulator's cost per request (after; the bound of the hops and of the small stages)", "",
        emulator_table(new.get("pipeline")), "",
        "## Cold start, scale, API (after)", "", detail_tables(new), "",
        "## Cold start, scale, API (before)", "", detail_tables(old), "",
        world_report.section(results.load("world")), world_report.api_section(results.load("world-api")),
        (ROOT / "bench" / "world_notes.md").read_text() if (ROOT / "bench" / "world_notes.md").is_file() else "",
        notes.read_text() if notes.is_file() else "",
    ]) + "\n"


def main() -> int:
    (ROOT / "docs" / "benchmarks.md").write_text(render())
    print(summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
