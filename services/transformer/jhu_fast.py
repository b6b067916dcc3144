"""The JHU file's fast path: stream it in blocks and keep only the US national rows.

JHU's combined file is ~115k rows (4 MB) of which the join needs 420; reading all of it into Python
rows cost about a second. Here each block of whole lines has its field counts checked at once
(numpy over the bytes; a line with quotes is read by `csv`), then pandas' C reader parses the four
needed columns and the block's US national rows are kept. Memory stays at one block however large
the file. Anything irregular (bad UTF-8, a short or long row, a quoted line break, a bare CR, a
missing column) returns None: the caller then takes the strict path (`parse.read_table`), whose
errors say what is wrong and where.
"""

from __future__ import annotations

import csv
import io
from typing import IO

import numpy as np
import pandas as pd

from shared.daily import from_source

BLOCK = 4 << 20  # the per-byte arrays of the field check stay ~15 MB; smaller blocks cost more calls
# what the join needs (the row's JHU fields' columns: `shared.daily`); both paths read these
VALUE_COLUMNS = tuple(f.source_column for f in from_source("jhu"))
JHU_COLUMNS = ("Date", "Country/Region", "Province/State", *VALUE_COLUMNS)


def us_rows(stream: IO[bytes], block: int = BLOCK) -> pd.DataFrame | None:
    """The rows of Country/Region 'US' with no Province/State, indexed by data row; None if irregular."""
    try:
        header = next(csv.reader([stream.readline().decode("utf-8-sig")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    if any(c not in header for c in JHU_COLUMNS):
        return None
    parts, rows, tail = [], 0, b""
    while True:
        data = stream.read(block)
        lines = tail + data
        cut = len(lines) if not data else lines.rfind(b"\n") + 1
        lines, tail = lines[:cut], lines[cut:]
        if lines:
            found = _block(lines, header)
            if found is None:
                return None
            us, count = found
            us.index += rows
            rows += count
            parts.append(us)
        if not data:
            break
    return pd.concat(parts).astype(str) if rows else None


def _block(lines: bytes, header: list[str]) -> tuple[pd.DataFrame, int] | None:
    """The block's US national rows (indexed from 0 in the block) and its count of rows."""
    if not _widths_ok(lines, len(header)):
        return None
    try:  # pandas decodes only the columns it keeps: the strict path names bad UTF-8 anywhere
        lines.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:  # the names as categories: ~200 distinct values, compared once each rather than once a row
        frame = pd.read_csv(io.BytesIO(lines), header=None, names=header, usecols=list(JHU_COLUMNS), encoding="utf-8",
                            dtype={"Date": str, **dict.fromkeys(VALUE_COLUMNS, str), "Country/Region": "category",
                                   "Province/State": "category"}, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError):
        return None
    us = frame[_equals(frame["Country/Region"], "US") & _equals(frame["Province/State"], "")]
    return us, len(frame)


def _equals(column: pd.Series, value: str) -> np.ndarray:
    """column.str.strip() == value, on the categories."""
    codes = np.flatnonzero(np.array([str(c).strip() == value for c in column.cat.categories], dtype=bool))
    return np.isin(column.cat.codes.to_numpy(), codes)


def _widths_ok(lines: bytes, width: int) -> bool:
    """Every non-blank line has `width` fields; lines end in LF or CRLF (the last may end in neither)."""
    if lines.count(b"\r") != lines.count(b"\r\n"):
        return False  # a bare CR ends a line for csv and pandas, not here: the strict path reads it
    raw = np.frombuffer(lines, np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not lines.endswith(b"\n"):
        ends = np.append(ends, len(lines))
    counts = np.diff(np.searchsorted(np.flatnonzero(raw == 44), ends), prepend=0)  # commas per line
    quotes = np.diff(np.searchsorted(np.flatnonzero(raw == 34), ends), prepend=0)  # quote marks per line
    # Blank lines, a wrong width, and every quoted line: a quoted comma can hide a missing field.
    odd = np.flatnonzero((counts != width - 1) | (quotes > 0))
    if not len(odd):
        return True
    starts = np.concatenate(([0], ends[:-1] + 1))[odd].tolist()
    suspects = [lines[s:e].rstrip(b"\r") for s, e in zip(starts, ends[odd].tolist(), strict=True)]
    suspects = [line for line in suspects if line]
    if not suspects:
        return True
    if any(b'"' not in line or line.count(b'"') % 2 for line in suspects):
        return False
    try:
        return all(len(row) == width for row in csv.reader(b"\n".join(suspects).decode("utf-8").split("\n")))
    except (UnicodeDecodeError, csv.Error):
        return False
