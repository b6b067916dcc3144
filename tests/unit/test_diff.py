"""The pure write-diff: what the loader inserts, updates, leaves alone and keeps."""

from __future__ import annotations

from services.loader.diff import diff
from shared.daily import DailyRow


def row(date: str, cases: int = 10, deaths: int = 1, recovered: int | None = 5) -> DailyRow:
    return {"date": date, "cases": cases, "deaths": deaths, "recovered": recovered}


def stored(*rows: DailyRow) -> dict[str, dict[str, object]]:
    """Rows as the repository returns them: keyed by date, recovered absent when null."""
    out = {}
    for r in rows:
        item: dict[str, object] = {"pk": "series#US", "sk": r["date"], "run_id": "old", **r}
        if item["recovered"] is None:
            del item["recovered"]
        out[str(r["date"])] = item
    return out


def test_empty_table_inserts_everything() -> None:
    d = diff({}, [row("2020-03-01"), row("2020-03-02")])
    assert [r["date"] for r in d.inserted] == ["2020-03-01", "2020-03-02"]
    assert (d.updated, d.unchanged, d.kept) == ([], 0, [])


def test_same_values_are_unchanged_and_not_written() -> None:
    d = diff(stored(row("2020-03-01"), row("2020-03-02", recovered=None)),
             [row("2020-03-01"), row("2020-03-02", recovered=None)])
    assert (d.inserted, d.updated, d.unchanged, d.writes) == ([], [], 2, [])


def test_a_changed_value_is_an_update() -> None:
    current = stored(row("2020-03-01"), row("2020-03-02"), row("2020-03-03"))
    d = diff(current, [row("2020-03-01", cases=11), row("2020-03-02", deaths=2), row("2020-03-03", recovered=6)])
    assert [r["date"] for r in d.updated] == ["2020-03-01", "2020-03-02", "2020-03-03"]
    assert d.unchanged == 0


def test_recovered_null_against_a_value_is_an_update_both_ways() -> None:
    current = stored(row("2020-03-01", recovered=None), row("2020-03-02", recovered=7))
    d = diff(current, [row("2020-03-01", recovered=0), row("2020-03-02", recovered=None)])
    assert [r["date"] for r in d.updated] == ["2020-03-01", "2020-03-02"]


def test_recovered_zero_is_not_the_same_as_null() -> None:
    d = diff(stored(row("2020-03-01", recovered=0)), [row("2020-03-01", recovered=None)])
    assert len(d.updated) == 1


def test_mixed_counts_and_writes() -> None:
    current = stored(row("2020-03-01"), row("2020-03-02"), row("2020-03-03"))
    d = diff(current, [row("2020-03-02"), row("2020-03-03", cases=99), row("2020-03-04")])
    assert (len(d.inserted), len(d.updated), d.unchanged) == (1, 1, 1)
    assert [r["date"] for r in d.writes] == ["2020-03-04", "2020-03-03"]


def test_dates_no_longer_in_the_dataset_are_kept_and_listed() -> None:
    current = stored(row("2020-03-01"), row("2020-03-02"), row("2020-03-05"))
    d = diff(current, [row("2020-03-02")])
    assert d.kept == ["2020-03-01", "2020-03-05"]
    assert d.writes == []


def test_rows_are_written_with_the_run_that_first_wrote_them() -> None:
    current = stored(row("2020-03-01"), row("2020-03-02"))
    current["2020-03-02"]["first_run"] = "first"
    d = diff(current, [row("2020-03-01", cases=11), row("2020-03-02", cases=11), row("2020-03-03")], "r2")
    assert {r["date"]: r["first_run"] for r in d.writes} == {
        "2020-03-01": "old", "2020-03-02": "first", "2020-03-03": "r2"}  # (a row from before: its writer)


def test_a_retry_counts_its_own_rows_as_its_first_try_did_and_does_not_write_them_again() -> None:
    """The first try (run r2) inserted 03-03 and updated 03-01, then died before its commit."""
    current = stored(row("2020-03-01"), row("2020-03-02"))
    current["2020-03-01"].update(cases=11, run_id="r2", first_run="old")
    current["2020-03-03"] = {**row("2020-03-03"), "run_id": "r2", "first_run": "r2"}
    records = [row("2020-03-01", cases=11), row("2020-03-02"), row("2020-03-03"), row("2020-03-04")]
    d = diff(current, records, "r2")
    assert ([r["date"] for r in d.inserted], [r["date"] for r in d.updated], d.unchanged) == (
        ["2020-03-03", "2020-03-04"], ["2020-03-01"], 1)
    assert [r["date"] for r in d.writes] == ["2020-03-04"]
    assert diff(current, records, "r3").unchanged == 3  # another run: they are the table's rows
