"""Between runs the stack leaves the table alone: `covid-etl up` reads the run ledger when a run's
announcement reaches its own queue on the topic (`covid_etl.local.watch`), not every second. The fault
proxy, which every request of `up` and the workers goes through, serves as the probe, and `up`'s own
loop as the clock: each turn of its supervisor is one long poll of a second on that queue, so the test
counts Queries over turns of the loop, not over seconds of a machine that may be busy."""

from __future__ import annotations

from support_faults.lab import Lab
from support_faults.proxy import Rule

IDLE_TURNS = 6
UP_EVENTS = "-up-events"  # in the body of up's own polls (`Resources.up_events`), no worker's


def test_between_runs_up_sends_no_query_and_still_prints_each_run(lab: Lab) -> None:
    stack, proxy = lab.stack, lab.proxy
    stack.idle()  # the queues are empty: the last run's announcement is on up's queue, or read already
    turns = proxy.add(Rule("ReceiveMessage", "delay", body=UP_EVENTS))  # probes: forward at once, count
    # a poll that began after this one: up has read the last announcement and looked at the ledger
    lab.until(lambda: turns.fired >= 2, 60, "up does not poll its queue")
    queries = proxy.add(Rule("Query", "delay"))
    start = turns.fired
    lab.until(lambda: turns.fired >= start + IDLE_TURNS, 120, "up stopped polling its queue")
    idle = queries.fired
    # a look on every turn made IDLE_TURNS or so; one may be the look every 30 s without announcement
    assert idle <= 1, f"{idle} Queries in {IDLE_TURNS} turns of up's loop with no run in flight"

    lab.publish()
    counts, rows = lab.counts(), len(lab.want())
    run_id = stack.trigger()
    run = stack.wait_run(run_id)
    assert run["status"] == "succeeded" and {k: int(run[k]) for k in counts} == counts, run
    assert stack.table() == lab.want()
    lab.commit()
    up_log = stack.folder / "up.log"
    printed = lab.until(lambda: [ln for ln in up_log.read_text().splitlines() if ln.startswith(f"run {run_id} ")],
                        40, f"up did not print run {run_id}")
    [line] = printed  # the US series' counts first, then every region's
    assert line.startswith(f"run {run_id} succeeded: {counts['inserted']} inserted, {counts['updated']} updated, "
                           f"{rows} rows; every region (")
    proxy.clear()
