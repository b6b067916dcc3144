"""The JHU file's fast path: stream it in blocks into compact columns, every row kept.

JHU's combined file is ~115k rows (4 MB, 274 series); reading it into Python rows costs about a
second and a hundred MB. Here each block of whole lines has its field counts checked at once (numpy
over the bytes; a line with quotes is read by `csv`), then pandas' C reader parses the needed columns
as categories: the names (~280 distinct), the dates (~420) and the counts are then checked and
converted once per distinct value, not once per row, and a block leaves only integer codes and
counts behind. Anything irregular (bad UTF-8, a short or long row, a quoted line break, a bare CR,
a missing column, a value that is not plain digits, a date that is not ISO-8601) returns None: the
caller then takes the strict path (`parse.read_table`), whose errors say what is wrong and where.
What this path accepts, the strict path reads to the same frame (tests/unit/test_jhu_fast.py).
"""

from __future__ import annotations

import csv
import io
import re
from typing import IO

import numpy as np
import pandas as pd

from shared.daily import read_from

BLOCK = 4 << 20  # the per-byte arrays of the field check stay ~15 MB; smaller blocks cost more calls
# the row's fields JHU gives (shared.daily) and their columns; both paths read these
VALUES = tuple((f.name, column, f.nullable) for f, column in read_from("jhu"))
VALUE_COLUMNS = tuple(column for _, column, _ in VALUES)
NAMES = ("Date", "Country/Region", "Province/State")
JHU_COLUMNS = (*NAMES, *VALUE_COLUMNS)
LABELS = ("date", "country", "province")  # the frame's names for NAMES
_PLAIN = re.compile(r"^\d{1,15}$")  # a count the fast path reads; longer ones: the strict path
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def all_rows(stream: IO[bytes], block: int = BLOCK) -> pd.DataFrame | None:
    """Every row: date, country, province (stripped; categories), the JHU fields (int64, nullable
    Int64), indexed by data row from 0 in the file's order; None if irregular."""
    try:
        header = next(csv.reader([stream.readline().decode("utf-8-sig")]))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    if any(c not in header for c in JHU_COLUMNS):
        return None
    parts: list[pd.DataFrame] = []
    tail = b""
    while True:
        data = stream.read(block)
        lines = tail + data
        cut = len(lines) if not data else lines.rfind(b"\n") + 1
        lines, tail = lines[:cut], lines[cut:]
        if lines:
            part = _block(lines, header)
            if part is None:
                return None
            parts.append(part)
        if not data:
            break
    parts = [p for p in parts if len(p)]
    return _joined(parts) if parts else None


def _block(lines: bytes, header: list[str]) -> pd.DataFrame | None:
    """The block's rows, names as categories, counts as integers."""
    if not _fields_ok(lines, header):
        return None
    try:  # pandas decodes only the columns it keeps: the strict path names bad UTF-8 anywhere
        lines.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # the counts are plain digits now (`_fields_ok`): the C reader's numbers are the strict path's
    kinds: dict[str, object] = {**dict.fromkeys(NAMES, "category"),
                                **{column: np.float64 if nullable else np.int64 for _, column, nullable in VALUES}}
    try:
        frame = pd.read_csv(io.BytesIO(lines), header=None, names=header, usecols=list(JHU_COLUMNS), encoding="utf-8",
                            dtype=kinds, keep_default_na=False,
                            na_values={column: [""] for _, column, nullable in VALUES if nullable})
    except (UnicodeDecodeError, pd.errors.ParserError, ValueError):
        return None
    out = {label: _stripped(frame[column]) for label, column in zip(LABELS, NAMES, strict=True)}
    if not _dates_ok(out["date"].cat.categories):
        return None
    for name, column, nullable in VALUES:
        values = frame[column].to_numpy()
        out[name] = pd.Series(pd.array(values, dtype="Int64") if nullable else values)
    return pd.DataFrame(out)


def _stripped(column: pd.Series) -> pd.Series:
    """The categories as strings stripped of spaces (two spellings may become one category)."""
    names = np.array([str(c).strip() for c in column.cat.categories], dtype=object)
    codes = column.cat.codes.to_numpy()
    if len(names):
        names, inverse = np.unique(names, return_inverse=True)
        codes = inverse[codes]
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=str)))


def _dates_ok(dates: pd.Index) -> bool:
    if not all(_DATE.match(d) for d in dates):
        return False
    return not pd.to_datetime(pd.Series(dates, dtype=object), format="%Y-%m-%d", errors="coerce").isna().any()


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The blocks as one frame, each name column on one set of categories."""
    names = {label: pd.api.types.union_categoricals([p[label] for p in parts], sort_categories=True)
             for label in LABELS}
    counts = {name: pd.concat([p[name] for p in parts], ignore_index=True) for name, _, _ in VALUES}
    return pd.DataFrame({**{k: pd.Series(v) for k, v in names.items()}, **counts})


def _fields_ok(lines: bytes, header: list[str]) -> bool:
    """Every non-blank line has the header's fields, each count plain digits (at most 15: exact as a
    float64; empty where the field is nullable); lines end in LF or CRLF (the last may end in neither)."""
    if lines.count(b"\r") != lines.count(b"\r\n"):
        return False  # a bare CR ends a line for csv and pandas, not here: the strict path reads it
    width = len(header)
    raw = np.frombuffer(lines, np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not lines.endswith(b"\n"):
        ends = np.append(ends, len(lines))
    starts = np.concatenate(([0], ends[:-1] + 1))
    commas = np.flatnonzero(raw == 44)
    first = np.searchsorted(commas, starts)  # each line's first comma in `commas`
    counts = np.diff(np.searchsorted(commas, ends), prepend=0)  # commas per line
    quotes = np.diff(np.searchsorted(np.flatnonzero(raw == 34), ends), prepend=0)  # quote marks per line
    # Blank lines, a wrong width, and every quoted line: a quoted comma can hide a missing field.
    odd = (counts != width - 1) | (quotes > 0)
    plain = np.flatnonzero(~odd)
    if len(plain) and not _counts_ok(raw, header, starts[plain], ends[plain], commas, first[plain]):
        return False
    suspects = [lines[s:e].rstrip(b"\r") for s, e in zip(starts[odd].tolist(), ends[odd].tolist(), strict=True)]
    suspects = [line for line in suspects if line]
    if not suspects:
        return True
    if any(b'"' not in line or line.count(b'"') % 2 for line in suspects):
        return False
    try:
        rows = list(csv.reader(b"\n".join(suspects).decode("utf-8").split("\n")))
    except (UnicodeDecodeError, csv.Error):
        return False
    fields = [(header.index(column), nullable) for _, column, nullable in VALUES]
    return all(len(row) == width and all(_PLAIN.match(row[k]) or (nullable and row[k] == "") for k, nullable in fields)
               for row in rows)


def _counts_ok(raw: np.ndarray, header: list[str], starts: np.ndarray, ends: np.ndarray, commas: np.ndarray,
               first: np.ndarray) -> bool:
    """The count fields of lines without quotes: only digits, by the running count of other bytes."""
    ends = ends - (raw[np.maximum(ends - 1, 0)] == 13)  # before a CRLF's CR
    others = np.concatenate(([0], np.cumsum((raw < 48) | (raw > 57), dtype=np.int32)))
    for _, column, nullable in VALUES:
        k = header.index(column)
        begin = starts if k == 0 else commas[first + k - 1] + 1
        end = ends if k == len(header) - 1 else commas[first + k]
        size = end - begin
        if (others[end] != others[begin]).any() or (size > 15).any() or (not nullable and (size == 0).any()):
            return False
    return True
