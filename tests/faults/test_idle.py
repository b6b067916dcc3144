"""Between runs the stack leaves the table alone: `covid-etl up` reads the run ledger when a run's
announcement reaches its own queue on the topic (`covid_etl.local.watch`), not every second. The fault
proxy, which every request of `up` and the workers goes through, serves as the probe."""

from __future__ import annotations

import time

from support_faults.lab import Lab
from support_faults.proxy import Rule

IDLE_S = 6


def test_between_runs_up_sends_no_query_and_still_prints_each_run(lab: Lab) -> None:
    stack, proxy = lab.stack, lab.proxy
    stack.idle()
    time.sleep(2)  # up's look after the last announcement
    queries = proxy.add(Rule("Query", "delay"))  # a probe: forwards at once, counts
    time.sleep(IDLE_S)
    idle = queries.fired
    # a look once a second made IDLE_S - 1 or more; one may be the look every 30 s without announcement
    assert idle <= 1, f"{idle} Queries in {IDLE_S} s with no run in flight"

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
    assert printed == [f"run {run_id} succeeded: {counts['inserted']} inserted, {counts['updated']} updated, "
                       f"{rows} rows"]
    proxy.clear()
