"""The daily row, declared once: its fields, where each comes from, its key and its item in the table.

`DailyRow` is one day as the transformer writes it, the loader diffs and stores it and the API reads
it; `Day` is a day as the API serves it, the row and the values derived from it. Each field's
`Column` says how it is shown (its label) and where it comes from (a source's column, or the field
the API derives it from). The rest derives from these two declarations: the parsers' output columns,
the transformer's columns and records, the diff's compared values, the DynamoDB item, the API's JSON
and CSV columns, its OpenAPI schema and the dashboard's table (`/api/v1/fields`). Adding a field is
a line here plus the code that computes it.

TypedDicts, not models: the API reads thousands of rows per request and the loader diffs them, where
validating each row would cost more than it checks (docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Annotated, TypedDict, cast, get_args, get_origin, get_type_hints

from shared.layout import SERIES_PK  # the partition of the daily rows


@dataclass(frozen=True)
class Column:
    """How a field is shown and where it comes from: `source`'s column `column` (default: the field's
    name), or derived by the API from the field `of`; neither for the row's key. `also`: other sources
    that give the field, each with its column, in the regions they alone cover (JHU's `Confirmed` is
    every region's cases but the `US` series', which are NYT's)."""

    label: str
    source: str | None = None
    column: str | None = None
    of: str | None = None
    also: tuple[tuple[str, str], ...] = ()


class DailyRow(TypedDict):
    """One day of a region's series; a nullable field is null where its source has no value. `source`
    names the field's source in the `US` series, `also` in the other regions (docs/regions.md)."""

    date: Annotated[str, Column("Date")]
    cases: Annotated[int, Column("Cases", source="nyt", also=(("jhu", "Confirmed"),))]
    deaths: Annotated[int, Column("Deaths", source="nyt", also=(("jhu", "Deaths"),))]
    recovered: Annotated[int | None, Column("Recovered", source="jhu", column="Recovered")]


class Day(DailyRow):
    """One day as the API serves it: the row, then the values derived from it over the whole series."""

    new_cases: Annotated[int | None, Column("New cases", of="cases")]
    new_deaths: Annotated[int | None, Column("New deaths", of="deaths")]
    new_cases_avg7: Annotated[float | None, Column("7-day avg", of="cases")]
    new_deaths_avg7: Annotated[float | None, Column("7-day avg", of="deaths")]


@dataclass(frozen=True)
class Field:
    """One field of a declaration, read from its annotation."""

    name: str
    kind: type  # str, int or float
    nullable: bool
    column: Column

    @property
    def source_column(self) -> str:
        return self.column.column or self.name


def fields(declaration: type) -> tuple[Field, ...]:
    """The fields of `DailyRow` or `Day`, in their declared order."""
    out = []
    for name, hint in get_type_hints(declaration, include_extras=True).items():
        kind, column = get_args(hint)
        options = get_args(kind) if get_origin(kind) is UnionType else (kind,)
        base = [o for o in options if o is not NoneType]
        out.append(Field(name, base[0], NoneType in options, column))
    return tuple(out)


ROW = fields(DailyRow)
DAY = fields(Day)
KEY = ROW[0].name  # the date
ROW_FIELDS = tuple(f.name for f in ROW)
VALUES = ROW_FIELDS[1:]  # what a load compares and the summary totals
DAY_FIELDS = tuple(f.name for f in DAY)
COUNTS = tuple(dict.fromkeys(f.column.of for f in DAY if f.column.of))  # the values the API derives from


def from_source(source: str) -> tuple[Field, ...]:
    """The row's fields read from `source`."""
    return tuple(f for f in ROW if f.column.source == source)


def read_from(source: str) -> tuple[tuple[Field, str], ...]:
    """Every row field `source`'s file gives in some region, with its column there, in the row's order."""
    out = []
    for f in ROW:
        if f.column.source == source:
            out.append((f, f.source_column))
        out += [(f, column) for name, column in f.column.also if name == source]
    return tuple(out)


def table_columns() -> tuple[Field, ...]:
    """`Day`'s fields as a table shows them: each value followed by the values derived from it."""
    own = [f for f in DAY if not f.column.of]
    return tuple(g for f in own for g in (f, *(d for d in DAY if d.column.of == f.name)))


def row_key(row: Mapping[str, object]) -> dict[str, str]:
    """The row's key in the table: the series' partition, the date as the sort key."""
    return {"pk": SERIES_PK, "sk": str(row[KEY])}


def to_item(row: Mapping[str, object], *, run_id: str, first_run: str | None, updated_at: str) -> dict[str, object]:
    """The row's item: its key, its fields (a null one is left out), and the load's bookkeeping: the run
    that last wrote it, the one that first did, and when."""
    return {**row_key(row), **{name: row.get(name) for name in ROW_FIELDS}, "run_id": run_id,
            "first_run": first_run, "updated_at": updated_at}


# What the API reads of an item: the row's fields (names aliased, as some are reserved words)
PROJECTION = ", ".join(f"#f{i}" for i in range(len(ROW_FIELDS)))
PROJECTION_NAMES = {f"#f{i}": name for i, name in enumerate(ROW_FIELDS)}


def from_item(item: Mapping[str, object]) -> DailyRow:
    """The row an item holds (an absent field is null)."""
    return cast(DailyRow, {name: item.get(name) for name in ROW_FIELDS})
