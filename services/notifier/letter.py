"""The announcement a person reads: a subject that says the outcome, and a plain-text body.

Pure: from the run as it ended to text. A run that loaded every region (`Run.all`) is told by its
totals, with the default region's counts beside them and the five regions with most changed rows;
the email stays short however many regions or warnings there are (`WARNINGS_SHOWN`). The email
subscribers of the topic get `text`; queue and Lambda subscribers get the JSON body, which carries the
same text beside the machine-readable fields.
"""

from __future__ import annotations

from shared.messages import LoadCounts, SourceVersion
from shared.runs import FAILED, Run

SUBJECT_MAX = 100  # SNS refuses longer subjects
WARNINGS_SHOWN = 10  # the rest are counted: a load of every region can warn about hundreds
BODY_FIELDS = {"run_id", "status", "inserted", "updated", "unchanged", "rows_total", "first_date", "last_date",
               "sources", "warnings", "error", "stage", "raw_keys", "loaded_at", "all", "regions"}


def body(run: Run, dashboard_url: str = "") -> dict[str, object]:
    """The JSON body (queue, Lambda and HTTP subscribers): the run's end, the text, the next step, the link."""
    return {**run.model_dump(mode="json", include=BODY_FIELDS), "text": text(run, dashboard_url),
            "next_step": next_step(run), "dashboard_url": dashboard_url or None}


def subject(run: Run) -> str:
    warned = f" ({len(run.warnings)} warning{'s' if len(run.warnings) != 1 else ''})" if run.warnings else ""
    every = _every(run)
    if run.status == "succeeded" and every:
        line = (f"covid-etl: run succeeded, {every.inserted} inserted, {every.updated} updated in "
                f"{every.regions} regions{warned}")
    elif run.status == "succeeded":
        line = f"covid-etl: run succeeded, {run.inserted or 0} inserted, {run.updated or 0} updated{warned}"
    elif run.status == "no_change":
        line = f"covid-etl: run found no change{warned}"
    else:
        line = f"covid-etl: run FAILED in {run.stage or '?'}"
    return line[:SUBJECT_MAX]


def next_step(run: Run) -> str | None:
    """What to do after a failure: fix the cause, then the replay command that re-sends the failed stage."""
    if run.status not in FAILED:
        return None
    stage = run.stage or "extract"
    return f"covid-etl replay --run {run.run_id} --from {stage}"


def text(run: Run, dashboard_url: str = "") -> str:
    lines = [_headline(run)]
    if run.status == "succeeded" and _every(run):  # the default series, said as a v1 letter said it
        lines += [f"United States: {run.inserted or 0} rows inserted, {run.updated or 0} updated, "
                  f"{_blank(run.unchanged)} unchanged."]
    lines += [""]
    if run.status in FAILED:
        lines += [f"Reason: {run.error or 'no reason was recorded'}"]
        if run.raw_keys:
            lines += ["Raw input kept at:", *[f"  {key}" for key in run.raw_keys]]
        lines += [f"The table keeps its last good state: {_table(run)}.", ""]
    loaded = [f"Loaded at    {run.loaded_at} (as_of this instant: the table as this run left it)"]
    lines += [*_counts(run), f"Date range   {_span(run)}", *(loaded if run.loaded_at else []), ""]
    if run.regions:
        lines += ["Most changed regions",
                  *[f"  {r.name} ({r.region}): {r.inserted} inserted, {r.updated} updated" for r in run.regions], ""]
    if run.sources:
        lines += ["Sources", *[_source(s) for s in run.sources], ""]
    if run.warnings:
        shown = run.warnings[:WARNINGS_SHOWN]
        more = len(run.warnings) - len(shown)
        lines += [f"Warnings ({len(run.warnings)})", *[f"  - {w}" for w in shown],
                  *([f"  ... and {more} more (covid-etl runs --json)"] if more else []), ""]
    step = next_step(run)
    if step:
        lines += ["What to do next",
                  "  1. Read the reason above (and the raw input, when kept) and fix its cause.",
                  "  2. Re-send the run from the stage that failed:",
                  f"       {step}",
                  f"     or, if a message was dead-lettered: covid-etl replay --dlq {run.stage or 'extract'}", ""]
    if dashboard_url:
        lines += [f"Dashboard: {dashboard_url}"]
    lines += [f"Run: {run.run_id} (covid-etl runs; covid-etl status)"]
    return "\n".join(lines)


def _counts(run: Run) -> list[str]:
    """The default region's counts (v1's), and every region's beside them when the run loaded them."""
    every = _every(run)
    if not every:
        return ["Counts",
                f"  inserted   {run.inserted or 0}",
                f"  updated    {run.updated or 0}",
                f"  unchanged  {_blank(run.unchanged)}",
                f"  rows now   {_blank(run.rows_total)}"]
    return [f"Counts       {'all ' + str(every.regions) + ' regions':>16} {'United States':>14}",
            f"  inserted   {every.inserted:>16} {run.inserted or 0:>14}",
            f"  updated    {every.updated:>16} {run.updated or 0:>14}",
            f"  unchanged  {every.unchanged:>16} {_blank(run.unchanged):>14}",
            f"  rows now   {every.rows_total:>16} {_blank(run.rows_total):>14}"]


def _every(run: Run) -> LoadCounts | None:
    """Every region's counts, when the run loaded more than the default region (else v1's counts say it all)."""
    return run.all if run.all and run.all.regions > 1 else None


def _headline(run: Run) -> str:
    every = _every(run)
    if run.status == "succeeded" and every:
        return (f"covid-etl run {run.run_id} succeeded: {every.inserted} rows inserted, {every.updated} "
                f"updated, {every.unchanged} unchanged in {every.regions} regions ({_span(run)}).")
    if run.status == "succeeded":
        return (f"covid-etl run {run.run_id} succeeded: {run.inserted or 0} rows inserted, {run.updated or 0} "
                f"updated, {_blank(run.unchanged)} unchanged ({_span(run)}).")
    if run.status == "no_change":
        return f"covid-etl run {run.run_id}: no change, no source has changed since the last load."
    return f"covid-etl run {run.run_id} FAILED in {run.stage or '?'}: {run.error or 'no reason was recorded'}."


def _source(s: SourceVersion) -> str:
    state = "changed" if s.changed else "unchanged"
    latest = f", latest date {s.last_date}" if s.last_date else ""
    return f"  {s.name}: {state}, {s.bytes:,} bytes, sha256 {s.sha256[:12]}{latest} ({s.url})"


def _span(run: Run) -> str:
    return f"{run.first_date} to {run.last_date}" if run.first_date else "no dates"


def _table(run: Run) -> str:
    return f"{_blank(run.rows_total)} rows, {_span(run)}"


def _blank(value: int | None) -> str:
    return "-" if value is None else str(value)
