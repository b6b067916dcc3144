"""Delivery faults on the real stack: duplicates, a worker killed mid-message, two runs at once."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
from support.reference import load_counts, table_after
from support_faults import report
from support_faults.lab import Lab
from support_faults.proxy import LOAD, Rule


def test_duplicate_delivery_of_every_stage_changes_nothing(lab: Lab) -> None:
    """Re-send each archived message of a finished run to its stage: all four are recognised."""
    stack = lab.stack
    run = next(r for r in stack.runs() if r.get("trigger") == "startup")  # one archived message per stage
    # the run ended when its load closed it; its announcement may come after: wait for the notifier
    lab.until(lambda: stack.stage_status(run["sk"], "notify") == "succeeded", 30, "the startup run was not announced")
    stack.idle()
    announced = len(lab.notes(run["sk"]))
    run_id, rows_before = run["sk"], stack._query("series#US")
    writes_before = len(lab.proxy.batch_runs())
    # 4 + 3 + 2 + 1 duplicates are expected from the replays below; the startup run may have had its
    # own (a redelivery under load, with this suite's 5 s visibility timeout): count from here on.
    def duplicates() -> int:
        return sum(stack.log_lines(s, "duplicate of a handled message", run_id)
                   for s in ("extractor", "transformer", "loader", "notifier"))

    before = duplicates()
    seen = lambda: duplicates() - before  # noqa: E731
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda stage: stack.cli("replay", "--run", run_id, "--from", stage),
                             ("extract", "transform", "load", "notify")))
    assert [d.returncode for d in done] == [0] * 4, [d.stderr for d in done]
    # each replayed message is a duplicate at its stage and re-sends the recorded next message
    lab.until(lambda: seen() == 10, 30, f"expected 10 duplicates, saw {seen()}")
    stack.idle()
    assert seen() == 10
    assert stack._query("series#US") == rows_before  # not even updated_at was touched
    assert len(lab.proxy.batch_runs()) == writes_before
    after = next(r for r in stack.runs() if r["sk"] == run_id)
    assert {k: after.get(k) for k in ("status", "inserted", "updated", "rows_total")} == \
           {k: run.get(k) for k in ("status", "inserted", "updated", "rows_total")}
    assert len(lab.notes(run_id)) == announced  # announced once, not again by any duplicate
    lost = report.record("fault", "duplicate delivery of all 4 archived messages", "no effect (10 duplicates "
                         "dropped)", "no second notification", lab.expected, stack.table())
    assert lost == 0


STALL_AT = {  # a point in the middle of each stage's work
    "extractor": lambda: Rule("S3:PUT", "stall", path="/raw/"),
    "transformer": lambda: Rule("S3:PUT", "stall", path="/datasets/"),
    "loader": lambda: Rule("TransactWriteItems", "stall", body=LOAD, skip=1),  # after its first fenced transaction
    "notifier": lambda: Rule("Publish", "stall"),
}


@pytest.mark.parametrize("service", list(STALL_AT))
def test_sigkill_mid_message(lab: Lab, service: str) -> None:
    """SIGKILL the worker while its request hangs; the supervisor restarts it, SQS redelivers."""
    stack, proxy = lab.stack, lab.proxy
    lab.publish()
    rule = proxy.add(STALL_AT[service]())
    restarts = len(stack.restarts())
    run_id = stack.trigger()
    assert rule.hit.wait(30), f"{service} never reached the stall point\n{stack.logs()}"
    [pid] = stack.pids(service)
    os.kill(pid, signal.SIGKILL)
    lab.until(lambda: stack.pids(service) and stack.pids(service) != [pid], 15, f"{service} was not restarted")
    proxy.clear()
    lab.check_loaded(run_id, f"SIGKILL of the {service} mid-message", "succeeded, exact counts")
    assert len(stack.restarts()) == restarts + 1


def test_two_runs_at_once_never_interleave_their_loads(lab: Lab) -> None:
    """Two loader processes and two runs in flight; slow writes make the loads overlap in time."""
    stack, proxy = lab.stack, lab.proxy
    extra = stack.spawn_worker("loader")
    try:
        proxy.add(Rule("TransactWriteItems", "delay", body=LOAD, seconds=1.5))
        writes_before = len(proxy.batch_runs())
        before, first = lab.publish()
        run_a = stack.trigger()
        lab.until(lambda: stack.stage_status(run_a, "extract") == "succeeded", 30, "run A was not extracted")
        _, second = lab.publish()
        run_b = stack.trigger()
        runs = {run_a: stack.wait_run(run_a), run_b: stack.wait_run(run_b)}
    finally:
        extra.terminate()
        extra.wait(15)
    proxy.clear()
    superseded = {run_id for run_id, r in runs.items() if any(w.startswith("superseded") for w in r["warnings"])}
    assert all(r["status"] == ("no_change" if run_id in superseded else "succeeded")
               for run_id, r in runs.items()), runs
    order = list(dict.fromkeys(proxy.batch_runs()[writes_before:]))
    writes = proxy.batch_runs()[writes_before:]
    assert writes == sorted(writes, key=order.index), f"loads interleaved: {writes}"
    # both loads were in flight together: the later one started before the earlier one ended
    starts = sorted(runs.values(), key=lambda r: r["stage_load"]["started_at"])
    assert starts[1]["stage_load"]["started_at"] < starts[0]["stage_load"]["finished_at"]
    data = {run_a: first, run_b: second}
    table = before
    for run_id in order or sorted(runs, key=lambda r: runs[r]["stage_load"]["finished_at"]):
        counts = load_counts(table, data[run_id])
        assert {k: int(runs[run_id][k]) for k in counts} == counts, run_id
        table = table_after(table, data[run_id])
    assert stack.table() == table
    if order and order[0] == run_b:  # the later run loaded first: the earlier one must not write over it
        assert order == [run_b] and any(w.startswith("superseded") for w in runs[run_a]["warnings"]), runs[run_a]
    inserted = sum(int(r["inserted"]) for r in runs.values())
    assert inserted == len(table) - len(before)  # no row counted twice
    lab.expected = table
    lost = report.record("fault", "two runs at once, two loader processes", f"both succeeded, loads in order, "
                         f"{inserted} inserted in all", "; ".join(lab.notes(r)[0].body["text"] for r in order),
                         table, stack.table())
    assert lost == 0
