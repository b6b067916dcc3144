"""AWS misbehaving under the running pipeline: gone for a while, throttling, a persistent error."""

from __future__ import annotations

import time

from support_faults import report
from support_faults.lab import Lab
from support_faults.proxy import LOAD, Rule

# Both outages are real time of real processes (moto stopped, a proxy dropping): they last longer
# than the suite's 5 s visibility timeout and claim lease (faults/conftest.py), so messages in
# flight reappear and leases lapse while AWS is gone. A shorter window would not test that.
OUTAGE_S = 8


def test_emulator_stopped_for_8_seconds_mid_run(lab: Lab) -> None:
    """SIGSTOP the moto process while the extractor works: every AWS call hangs, then resumes."""
    stack, proxy = lab.stack, lab.proxy
    lab.publish()
    restarts = len(stack.restarts())
    rule = proxy.add(Rule("S3:PUT", "delay", path="/raw/", seconds=0.2))
    run_id = stack.trigger()
    assert rule.hit.wait(30), stack.logs()
    lab.moto.pause()
    try:
        time.sleep(OUTAGE_S)
    finally:
        lab.moto.resume()
    lab.check_loaded(run_id, "AWS endpoint stopped (SIGSTOP) for 8 s mid-run", "succeeded, no restart")
    assert stack.restarts()[restarts:] == []  # waited out, not crash-looped


def test_endpoint_refusing_every_request_for_8_seconds(lab: Lab) -> None:
    """Every AWS request is dropped without an answer for 8 s: calls fail, back off, retry."""
    stack, proxy = lab.stack, lab.proxy
    lab.publish()
    restarts = len(stack.restarts())
    slow = proxy.add(Rule("S3:PUT", "delay", path="/raw/", seconds=0.2))
    run_id = stack.trigger()
    assert slow.hit.wait(30), stack.logs()
    proxy.clear()
    down = proxy.add(Rule("*", "drop"))
    time.sleep(OUTAGE_S)
    proxy.clear()
    assert down.fired > 10  # the workers kept trying, and failed, while it was down
    lab.check_loaded(run_id, f"AWS endpoint dropping every request for 8 s ({down.fired} dropped)",
                 "succeeded, no restart")
    assert stack.restarts()[restarts:] == []


def test_throttling_during_the_load(lab: Lab) -> None:
    """The loader's fenced writes (TransactWriteItems, which leave no unprocessed items) throttled
    three times, the extractor's read of the loaded versions (one Query of their partition per run)
    twice. The SDK's retries must cover it all."""
    stack, proxy = lab.stack, lab.proxy
    lab.publish()
    throttle = proxy.add(Rule("TransactWriteItems", "throttle", body=LOAD, times=3))
    query = proxy.add(Rule("Query", "throttle", code="ThrottlingException", body='{"S": "source"}', times=2))
    run_id = stack.trigger()
    lab.check_loaded(run_id, "DynamoDB throttling (3 transactions, 2 reads of the versions)", "succeeded, exact counts")
    assert (throttle.fired, query.fired) == (3, 2)


def test_dead_letter_then_replay_until_the_run_succeeds(lab: Lab) -> None:
    """The load fails on every delivery (a non-retryable ValidationException): the message ends in
    the DLQ and the run is given up on (`gave_up`) and announced; after the fix `replay --dlq load` completes it."""
    stack, proxy = lab.stack, lab.proxy
    before, _ = lab.publish()
    broken = proxy.add(Rule("TransactWriteItems", "error", body=LOAD, code="ValidationException"))
    run_id = stack.trigger()
    run = stack.wait_run(run_id)
    assert run["status"] == "gave_up", run
    assert "load gave up after 3 attempts" in run["error"] and "ValidationException" in run["error"]
    assert run["stage_load"]["status"] == "failed"
    lab.until(lambda: stack.dead_letters("loader") == 1, 20, "no dead letter")
    failed = lab.until(lambda: lab.notes(run_id), 20, "no failure notification")
    assert [n.body["status"] for n in failed] == ["gave_up"]
    assert "replay --dlq load" in failed[0].body["text"] and "ValidationException" in failed[0].body["text"]
    assert stack.table() == before
    assert broken.fired == 3
    proxy.clear()

    dry = stack.cli("replay", "--dlq", "load", "--dry-run")
    assert dry.returncode == 0 and '"messages": 1' in dry.stdout, dry.stderr
    done = stack.cli("replay", "--dlq", "load")
    assert done.returncode == 0 and '"moved": 1' in done.stdout, done.stderr
    run = lab.until(lambda: (r := next(r for r in stack.runs() if r["sk"] == run_id))["status"] == "succeeded"
                    and r, 60, "the replayed run did not succeed")
    counts = lab.counts()
    assert {k: int(run[k]) for k in counts} == counts
    assert run["stage_load"]["status"] == "succeeded"
    assert stack.table() == lab.want()
    stack.idle()
    assert stack.dead_letters("loader") == 0
    notes = lab.notes(run_id)
    assert [n.body["status"] for n in notes] == ["gave_up", "succeeded"]
    lab.commit()
    said = f"1st: {failed[0].body['text'][:70]}... 2nd: {notes[1].body['text']}"
    assert report.record("fault", "load fails every delivery -> DLQ; then replay --dlq load", "failed, "
                         "dead-lettered; after replay succeeded", said, lab.expected, stack.table()) == 0
