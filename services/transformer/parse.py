"""Parsing and validating the sources' CSV files into frames (pure: bytes in, frames out).

Accepted: a BOM, CRLF line ends, extra columns, unsorted rows. Rejected with a reason that names
the source, the rows and what to do: HTML instead of CSV, an empty file, a header only, missing
columns, counts that are not non-negative integers, dates that are not ISO-8601 or impossible,
duplicate dates, a JHU region with two rows for one date, a JHU file without the US national
series, a lookup table with a duplicate UID or a row without a country.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from services.transformer.jhu_fast import JHU_COLUMNS, LABELS, NAMES, VALUES, all_rows
from shared.daily import KEY, from_source
from shared.errors import InputError

NYT_COLUMNS = ("date", *(f.source_column for f in from_source("nyt")))
LOOKUP_COLUMNS = ("UID", "iso2", "iso3", "Country_Region", "Province_State", "Admin2", "Population")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COUNT = re.compile(r"^\d+(\.0*)?$")
SHOW = 5


def _shown(values: list[str]) -> str:
    more = f" and {len(values) - SHOW} more" if len(values) > SHOW else ""
    return ", ".join(values[:SHOW]) + more


def read_table(source: str, data: bytes, required: tuple[str, ...]) -> pd.DataFrame:
    """Read CSV bytes as strings, after checking that they are a CSV with the needed columns."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{source}: not UTF-8 text ({error}); is this the right file?") from error
    head = text.lstrip()[:200].lower()
    if not head:
        raise InputError(f"{source}: the file is empty")
    if head.startswith("<") or "<html" in head:
        raise InputError(f"{source}: got an HTML page instead of CSV; check the source URL")
    try:  # newline="": a bare CR ends a line, as it does for pandas below
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as error:
        raise InputError(f"{source}: not a readable CSV file ({error})") from error
    header = rows[0]
    check_widths(source, rows)
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(header)}. "
                         "The source's format changed: update the parser before loading it.")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, usecols=list(required))
    except (pd.errors.ParserError, ValueError) as error:
        raise InputError(f"{source}: not a readable CSV file ({error})") from error
    if frame.empty:
        raise InputError(f"{source}: the file has a header but no data rows")
    return frame


def check_widths(source: str, rows: list[list[str]]) -> None:
    """Every row has as many fields as the header; a short last row means a truncated download."""
    width = len(rows[0])
    if len(rows) > 1 and len(rows[-1]) < width:
        raise InputError(f"{source}: the last line (row {len(rows)}) has {len(rows[-1])} of {width} fields: "
                         "the file looks truncated; the download was probably cut off")
    bad = [f"row {i}: {len(row)} fields" for i, row in enumerate(rows, start=1) if len(row) != width]
    if bad:
        raise InputError(f"{source}: {len(bad)} row(s) do not have the header's {width} fields ({_shown(bad)})")


def check_dates(source: str, dates: pd.Series, unique: bool = True) -> pd.Series:
    """ISO-8601 calendar dates (YYYY-MM-DD), each at most once if `unique`; returns them as strings."""
    dates = dates.str.strip()
    parsed = pd.to_datetime(dates, format="%Y-%m-%d", errors="coerce")
    bad = dates[~dates.str.match(_DATE) | parsed.isna()]
    if len(bad):
        rows = [f"row {i + 2}: {v!r}" for i, v in bad.items()]
        raise InputError(f"{source}: {len(bad)} date(s) are not ISO-8601 YYYY-MM-DD or impossible "
                         f"({_shown(rows)})")
    duplicated = sorted(set(dates[dates.duplicated()])) if unique else []
    if duplicated:
        raise InputError(f"{source}: duplicate date(s) {_shown(duplicated)}")
    return dates


def check_counts(source: str, column: str, values: pd.Series, allow_empty: bool = False,
                 where: pd.Series | None = None) -> pd.Series:
    """Integers >= 0 (an empty cell is null where allowed); returns a nullable Int64 series. `where`
    names each row's region in the errors."""
    values = values.str.strip()
    empty = values == ""
    bad = values[~empty & ~values.str.match(_COUNT)]
    if not allow_empty:
        bad = pd.concat([bad, values[empty]]).sort_index()
    if len(bad):
        rows = [f"row {i + 2}{'' if where is None else f' ({where[i]})'}: {v!r}" for i, v in bad.items()]
        raise InputError(f"{source}: {len(bad)} value(s) of {column!r} are not integers >= 0 ({_shown(rows)})")
    try:
        return pd.to_numeric(values.mask(empty), errors="raise").round().astype("Int64")
    except (OverflowError, ValueError, TypeError) as error:  # digits only, but too large for a 64-bit count
        # (2**63 to 2**64 - 1 parse as uint64, which Int64 refuses with a TypeError)
        raise InputError(f"{source}: a value of {column!r} is out of range ({error})") from error


def _bytes(data: bytes | IO[bytes]) -> bytes:
    return data if isinstance(data, bytes) else data.read()


def counts(source: str, frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The row's fields read from `source` (`shared.daily`), each checked; a nullable one may be empty."""
    return {f.name: check_counts(source, f.source_column, frame[f.source_column], allow_empty=f.nullable)
            for f in from_source(source)}


def parse_nyt(data: bytes | IO[bytes]) -> pd.DataFrame:
    """NYT `us.csv` -> the date and the row's NYT fields (cases, deaths); sorted by date."""
    frame = read_table("nyt", _bytes(data), NYT_COLUMNS)
    out = pd.DataFrame({KEY: check_dates("nyt", frame["date"]), **counts("nyt", frame)})
    return out.sort_values(KEY, ignore_index=True)


def parse_jhu(data: bytes | IO[bytes]) -> pd.DataFrame:
    """JHU combined time series -> every row: date, country, province (stripped; categories) and the
    row's JHU fields (cases, deaths: int64; recovered: Int64, null where empty), sorted by country,
    province and date, indexed by data row (row i is line i + 2).

    Takes the bytes or a seekable binary stream. A well-formed file is streamed into compact columns
    (`jhu_fast`); anything irregular is read again by the strict path, which says what is wrong.
    Refused besides: a region (country and province) with two rows for one date, and a file without
    the US national series (the `US` series' recovered)."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    frame = all_rows(stream)
    if frame is None:
        stream.seek(0)
        frame = jhu_strict(stream.read())
    order = np.lexsort([frame[c].cat.codes.to_numpy() for c in ("date", "province", "country")])  # the last first
    if not np.array_equal(order, np.arange(len(order))):  # the real file comes sorted so: no copy then
        frame = frame.take(order)
    _check_one_row_per_date(frame)
    if not ((frame["country"] == "US") & (frame["province"] == "")).any():
        raise InputError("jhu: no rows for the US national series (Country/Region 'US', empty "
                         "Province/State); the source's layout changed")
    return frame


def jhu_strict(data: bytes) -> pd.DataFrame:
    """The strict path: every cell read and checked, each error named with its rows."""
    frame = read_table("jhu", data, JHU_COLUMNS)
    names = {label: frame[column].str.strip() for label, column in zip(LABELS, NAMES, strict=True)}
    check_dates("jhu", names["date"], unique=False)
    where = names["country"] + np.where(names["province"] == "", "", "/" + names["province"])
    counts = {name: check_counts("jhu", column, frame[column], allow_empty=nullable, where=where)
              for name, column, nullable in VALUES}
    out = pd.DataFrame({**{k: pd.Categorical(v, categories=sorted(set(v))) for k, v in names.items()},
                        **{name: v if nullable else v.astype("int64") for (name, _, nullable), v
                           in zip(VALUES, counts.values(), strict=True)}})
    out.index = frame.index
    return out


def _check_one_row_per_date(frame: pd.DataFrame) -> None:
    """One row per region and date: a second would be summed into a total twice, or hide the first."""
    keys = np.column_stack([frame[c].cat.codes.to_numpy() for c in LABELS])
    again = np.flatnonzero((keys[1:] == keys[:-1]).all(axis=1)) + 1
    if not len(again):
        return
    shown = []
    for i in again.tolist():
        country, province, day = (frame[c].iat[i] for c in ("country", "province", "date"))
        same = frame.index[(frame["country"] == country) & (frame["province"] == province) & (frame["date"] == day)]
        region = f"{country}/{province}" if province else country
        shown.append(f"{region} on {day} (rows {', '.join(str(r + 2) for r in sorted(same))})")
    shown = list(dict.fromkeys(shown))
    raise InputError(f"jhu: {len(shown)} region(s) have more than one row for a date: {_shown(shown)}; "
                     "each Country/Region and Province/State has one row per date")


def parse_lookup(data: bytes | IO[bytes]) -> pd.DataFrame:
    """JHU's UID/ISO/FIPS lookup table -> columns uid, iso2, iso3, country, province, admin2, population.

    One row per UID (unique integers); every row names its country; population is an integer >= 0
    or null (cruise ships, "Unknown" provinces have none)."""
    frame = read_table("lookup", _bytes(data), LOOKUP_COLUMNS)
    uid = check_counts("lookup", "UID", frame["UID"])
    duplicated = sorted({str(u) for u in uid[uid.duplicated()]})
    if duplicated:
        raise InputError(f"lookup: duplicate UID(s) {_shown(duplicated)}")
    country = frame["Country_Region"].str.strip()
    nameless = [f"row {i + 2}" for i in country[country == ""].index]
    if nameless:
        raise InputError(f"lookup: {len(nameless)} row(s) have no Country_Region ({_shown(nameless)})")
    return pd.DataFrame({
        "uid": uid, "iso2": frame["iso2"].str.strip(), "iso3": frame["iso3"].str.strip(), "country": country,
        "province": frame["Province_State"].str.strip(), "admin2": frame["Admin2"].str.strip(),
        "population": check_counts("lookup", "Population", frame["Population"], allow_empty=True),
    })


def parse_jhu_file(path: str | Path) -> pd.DataFrame:
    with open(path, "rb") as stream:
        return parse_jhu(stream)
