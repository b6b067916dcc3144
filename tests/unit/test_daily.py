"""The daily row's declaration (`shared.daily`): what derives from it, and its item in the table."""

from __future__ import annotations

from typing import Annotated, TypedDict

from shared.daily import Column, DailyRow, fields, from_item, from_source, row_key, table_columns, to_item


def test_the_fields_are_read_from_the_declaration_with_their_types_and_sources() -> None:
    class Row(TypedDict):
        date: Annotated[str, Column("Date")]
        confirmed: Annotated[int | None, Column("Confirmed", source="jhu", column="Confirmed")]
        per_100k: Annotated[float, Column("Per 100k", of="confirmed")]

    date, confirmed, rate = fields(Row)
    assert (date.name, date.kind, date.nullable) == ("date", str, False)
    assert (confirmed.kind, confirmed.nullable, confirmed.source_column) == (int, True, "Confirmed")
    assert (rate.kind, rate.nullable, rate.column.of) == (float, False, "confirmed")


def test_each_source_gives_its_fields_and_a_table_puts_derived_values_after_their_own() -> None:
    assert [f.name for f in from_source("nyt")] == ["cases", "deaths"]
    assert [(f.name, f.source_column) for f in from_source("jhu")] == [("recovered", "Recovered")]
    columns = [f.name for f in table_columns()]
    assert columns.index("new_deaths_avg7") == columns.index("deaths") + 2 and columns[-1] == "recovered"


def test_an_item_holds_the_key_the_row_and_the_loads_bookkeeping_and_gives_the_row_back() -> None:
    row: DailyRow = {"date": "2020-03-01", "cases": 10, "deaths": 1, "recovered": None}
    item = to_item(row, run_id="r2", first_run="r1", updated_at="t")
    assert item == {"pk": "series#US", "sk": "2020-03-01", **row, "run_id": "r2", "first_run": "r1", "updated_at": "t"}
    assert row_key(row) == {"pk": "series#US", "sk": "2020-03-01"}
    stored = {k: v for k, v in item.items() if v is not None}  # the table keeps no null attribute
    assert from_item(stored) == row
