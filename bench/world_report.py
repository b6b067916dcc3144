"""docs/benchmarks.md's "Scale: every region" section, from `artifacts/bench-world.json` (`bench.world`)."""

from __future__ import annotations

import statistics
from typing import Any

Rows = list[dict[str, Any]]
A, B = "(a) full load", "(b) one-day update"
PROFILES = {"loopback": "loopback", "aws": "AWS profile (5 ms per request)"}
DELAY_MS = {"loopback": 0.0, "aws": 5.0}
TIMEOUT_MS = 2000.0  # wrk's request timeout


def med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def of(rows: Rows, profile: str, what: str) -> Rows:
    return [r for r in rows if r["profile"] == profile and r["what"] == what]


def ratio(rows: Rows, profile: str, what: str) -> float | None:
    return med([r["pipeline"]["run"] / r["baseline"]["seconds"] for r in of(rows, profile, what)])


def series_items(row: dict[str, Any], key: str = "writes") -> int | None:
    writes = row.get(key)
    return None if writes is None else int(writes["items"].get("series", 0))


def changed(row: dict[str, Any]) -> int | None:
    """Rows the run says it inserted or updated: every region's (`all`) when the loader counts them."""
    counts = row["counts"].get("all") or row["counts"]
    return None if counts.get("inserted") is None else int(counts["inserted"]) + int(counts.get("updated") or 0)


def ddb_requests(row: dict[str, Any], key: str = "writes") -> int | None:
    writes = row.get(key)
    return None if writes is None else sum(n for op, n in writes["requests"].items() if op.startswith("DynamoDB"))


def answered(api: dict[str, Any]) -> bool:
    """A p99 is a figure only when every answer was a 2xx (else: the table below says why); requests that
    wrk gave up on (2 s) count as a p99 of at least 2 s (`p99`)."""
    return "p99_ms" in api and api["requests"] > 0 and api["non_2xx"] == 0 and api.get("answer", 200) == 200


def p99(api: dict[str, Any]) -> float:
    return max(float(api["p99_ms"]), TIMEOUT_MS) if api.get("socket_errors") else float(api["p99_ms"])


def fmt(value: float | None, form: str) -> str:
    return "not measured" if value is None else format(value, form)


def verdict(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "**missed**")


def coverage(rows: Rows) -> tuple[int | None, int | None]:
    """(rows the pipeline's full load counted, rows the baseline wrote): whether every region was loaded."""
    full = of(rows, "loopback", A) or of(rows, "aws", A)
    if not full:
        return None, None
    counts = full[0]["counts"].get("all") or full[0]["counts"]
    return counts.get("rows_total"), full[0]["baseline"]["written"]


def targets(rows: Rows) -> str:
    lines = ["| target | goal | loopback | AWS profile | met? (where measured) |", "|---|---|---:|---:|---|"]

    def line(name: str, goal: str, get: Any, ok: Any, form: str) -> None:
        values = [get(p) for p in PROFILES]
        measured = [v for v in values if v is not None]
        good = all(ok(v) for v in measured) if measured else None
        lines.append(f"| {name} | {goal} | {' | '.join(fmt(v, form) for v in values)} | {verdict(good)} |")

    line("(a) full load, pipeline / baseline's full write", "<= 2x", lambda p: ratio(rows, p, A),
         lambda v: v <= 2.0, ".2f")
    line("(b) one-day update, pipeline / baseline's full rewrite", "<= 0.1x", lambda p: ratio(rows, p, B),
         lambda v: v <= 0.1, ".3f")
    line("(b) series items the update wrote / rows it inserted or updated", "= 1 (only the changed rows)",
         lambda p: med([series_items(r) / max(changed(r) or 0, 1) for r in of(rows, p, B)  # type: ignore[operator]
                        if series_items(r) is not None and changed(r) is not None]), lambda v: v == 1.0, ".2f")
    line("(c) transformer's peak RSS on the full file (VmHWM), MB", "< 400",
         lambda p: med([r["transformer_mb"] for r in of(rows, p, A)]), lambda v: v < 400, ".0f")
    us_only = any(r.get("api", {}).get("regions") == 0 for r in rows)
    line("(d) `GET /api/v1/daily?region=` p99 at 64 connections, ms"
         + (" (**US only**: this API answers 400 to `region`)" if us_only else ""), "< 50",
         lambda p: med([p99(r["api"]) for r in of(rows, p, A) if answered(r.get("api", {}))]),
         lambda v: v < 50, ".1f")
    return "\n".join(lines)


def span(mine: Rows) -> str:
    return f"{min(r['load'] for r in mine):.1f}-{max(r['load'] for r in mine):.1f}"


def write_cells(row: dict[str, Any], key: str) -> str:
    """Series items, revision items, WCUs and DynamoDB requests the proxy counted for the run (the
    baseline's own requests: the proxy also saw the idle stack's beside it, which are not its)."""
    writes = row.get(key)
    if writes is None:
        return "(AWS profile) | | | "
    requests = row["baseline"]["requests"] if key == "baseline_writes" else ddb_requests(row, key)
    return (f"{series_items(row, key):,} | {writes['items'].get('revision', 0):,} | {writes['wcu']:,} | "
            f"{requests:,}")


def runs_table(rows: Rows) -> str:
    lines = ["| profile | run | pipeline s | extract | transform | load | notify | baseline s | ratio | "
             "rows (ledger: ins / upd / total) | series items written | revision items | WCU | "
             "DynamoDB requests | load avg |", "|---|---|" + "---:|" * 7 + "---|" + "---:|" * 4 + "---|"]
    for profile, label in PROFILES.items():
        for what in (A, B):
            mine = of(rows, profile, what)
            if not mine:
                continue
            last = mine[-1]
            counts = last["counts"].get("all") or last["counts"]
            stages = [fmt(med([r["pipeline"][s] * 1000 for r in mine if s in r["pipeline"]]), ",.0f")
                      for s in ("extract", "transform", "load", "notify")]
            lines.append(
                f"| {label} | {what} | {med([r['pipeline']['run'] for r in mine]):.2f} | {' | '.join(stages)} | "
                f"{med([r['baseline']['seconds'] for r in mine]):.2f} | {fmt(ratio(rows, profile, what), '.3f')} | "
                f"{counts.get('inserted')} / {counts.get('updated')} / {counts.get('rows_total')} | "
                f"{write_cells(last, 'writes')} | {span(mine)} |")
        base = of(rows, profile, A)
        if base:
            last = base[-1]["baseline"]
            lines.append(
                f"| {label} | baseline: full write | | | | | | {med([r['baseline']['seconds'] for r in base]):.2f} | "
                f"| {last['regions']} regions, {last['written']:,} rows | "
                f"{write_cells(base[-1], 'baseline_writes')} | |")
    return "\n".join(lines)


def api_table(rows: Rows) -> str:
    lines = ["| profile | path | regions requested | requests | non-2xx | requests/s | p99 ms | first request of each "
             "region (4 at a time): asked, median ms, max ms; warming passes |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for profile, label in PROFILES.items():
        for r in of(rows, profile, A):
            api = r.get("api", {})
            if "p99_ms" in api:
                path = api.get("path", "/api/v1/daily?region=")
                note = "" if api["regions"] else " (this API answers 400 to `region`: the US series only)"
                if not answered(api):
                    note += (f" (**not a figure**: {api['non_2xx']} non-2xx of {api['requests']} answers, "
                             f"{api.get('socket_errors', '?')} socket errors or timeouts (wrk: 2 s)"
                             f"{', the path answers ' + str(api['answer']) if 'answer' in api else ''})")
                lines.append(f"| {label} | `{path}`{note} | {api['regions']} | {api['requests']:,} | "
                             f"{api['non_2xx']:,} | {api['rps']:,.0f} | {p99_cell(api)} | {cold(api)} |")
    return "\n".join(lines)


def api_section(data: dict[str, Any] | None) -> str:
    """(d) measured on another tree (e.g. with the API's branch merged too), when artifacts/ holds it."""
    if not data:
        return ""
    meta, rows = data["meta"], data["rows"]
    return "\n".join([
        f"(d) measured again at commit {meta.get('commit', '?')} ({meta['measured']}, load average "
        f"{meta['load_end']:.1f} at its end), `artifacts/bench-world-api.json`: a tree with the read API's "
        "branch merged as well, so that `/api/v1/daily` takes `region` (see the notes below for which commits):", "",
        api_table(rows), "", "(d) there: " + "; ".join(
            f"{PROFILES[r['profile']]} p99 {p99(r['api']):,.1f} ms, "
            f"{verdict(p99(r['api']) < 50) if answered(r['api']) else 'not a figure'} (target < 50 ms)"
            for r in rows if r["what"] == A and "p99_ms" in r.get("api", {})) + ".", ""])


def p99_cell(api: dict[str, Any]) -> str:
    if api.get("socket_errors"):
        return f">= {p99(api):,.0f} ({api['socket_errors']:,} timed out at 2 s)"
    return f"{api['p99_ms']:.1f}"


def cold(api: dict[str, Any]) -> str:
    if api.get("cold_median_ms") is None:
        return ""
    warm = (f"; {api['warm_passes']} pass(es) in {api['warm_seconds']:.0f} s, last pass p90 "
            f"{api['warm_p90_ms']:,.0f} ms" if "warm_passes" in api else "")
    return f"{api['cold_asked']}, {api['cold_median_ms']:,.0f}, {api['cold_max_ms']:,.0f}{warm}"


def section(data: dict[str, Any] | None) -> str:
    if not data:
        return "## Scale: every region\n\n(not measured: `python -m bench bench.world`)\n"
    rows: Rows = data["rows"]
    meta = data["meta"]
    loaded, baseline = coverage(rows)
    reps = max((r.get("repetition", 0) for r in rows), default=0) + 1
    quick = any(r.get("quick") for r in rows)
    scope = (f"The pipeline's full load counted {loaded} rows against the baseline's {baseline:,}: "
             + ("it loads every region." if loaded and baseline and int(loaded) >= baseline else
                "**it did not load every region**, so the time ratios compare a partial load with the full "
                "write and do not price the targets (see below)."))
    return "\n".join([
        "## Scale: every region", "",
        f"`python -m bench bench.world` (part of `make bench`; module `bench/world.py`). Measured {meta['measured']} "
        f"at commit {meta.get('commit', '?')} on {meta['machine']}; {reps} repetition(s) per profile (medians)"
        f"{'; QUICK MODE (a cut JHU file): not figures' if quick else ''}. {scope}", "",
        targets(rows), "",
        runs_table(rows), "",
        api_table(rows), "",
    ])
