"""Properties of the source parsers: generated valid files parse to the generated values, in any
row order, with or without a BOM and CRLF; corrupted files raise InputError and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from services.transformer.parse import parse_jhu, parse_nyt
from shared.errors import InputError

DAY0 = date(2020, 1, 21)
COUNT = st.integers(min_value=0, max_value=10**9)
EXAMPLES = settings(max_examples=150, deadline=None)


@st.composite
def series(draw: st.DrawFn, values: st.SearchStrategy[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Distinct dates with their values, in a drawn order."""
    offsets = draw(st.lists(st.integers(0, 1500), min_size=1, max_size=40, unique=True))
    rows = [((DAY0 + timedelta(days=o)).isoformat(), *draw(values)) for o in offsets]
    return draw(st.permutations(rows))


def encode(lines: list[str], bom: bool, crlf: bool) -> bytes:
    text = ("\r\n" if crlf else "\n").join(lines)
    return (("\ufeff" if bom else "") + text).encode()


def jhu_lines(us: list[tuple[Any, ...]]) -> list[str]:
    lines = ["Date,Country/Region,Province/State,Confirmed,Recovered,Deaths"]
    for d, recovered in us:
        lines += [f"{d},US,,1,{recovered},1", f"{d},US,Texas,1,7,1", f"{d},Canada,,1,,1"]
    return lines


@EXAMPLES
@given(series(st.tuples(COUNT, COUNT)), st.booleans(), st.booleans(), st.booleans())
def test_valid_nyt_parses_to_its_values(rows: list[tuple], bom: bool, crlf: bool, extra: bool) -> None:
    head = "date,cases,deaths" + (",note" if extra else "")
    data = encode([head, *(f"{d},{c},{x}" + (",x" if extra else "") for d, c, x in rows)], bom, crlf)
    frame = parse_nyt(data)
    assert [(d, int(c), int(x)) for d, c, x in frame.itertuples(index=False)] == sorted(rows)


@EXAMPLES
@given(series(st.tuples(st.one_of(st.none(), COUNT))), st.booleans(), st.booleans())
def test_valid_jhu_parses_to_its_us_national_series(rows: list[tuple], bom: bool, crlf: bool) -> None:
    us = [(d, "" if r is None else str(r)) for d, r in rows]
    frame = parse_jhu(encode(jhu_lines(us), bom, crlf))
    frame = frame[(frame["country"] == "US") & (frame["province"] == "")]
    got = [(str(d), None if pd.isna(r) else int(r)) for d, r in frame[["date", "recovered"]].itertuples(index=False)]
    assert got == sorted(rows, key=lambda r: r[0])


def corrupt(data: bytes, draw: Callable[..., Any]) -> bytes:
    """One random corruption: cut, splice in junk, duplicate or drop a slice, flip bytes."""
    how = draw(st.sampled_from(["cut", "insert", "duplicate", "drop", "flip", "replace"]))
    i = draw(st.integers(0, len(data)))
    j = draw(st.integers(i, len(data)))
    junk = draw(st.binary(max_size=20) | st.text(alphabet=",\n\r\"-.e<>x0123456789", max_size=20).map(str.encode))
    if how == "cut":
        return data[:i]
    if how == "insert":
        return data[:i] + junk + data[i:]
    if how == "duplicate":
        return data[:j] + data[i:j] + data[j:]
    if how == "drop":
        return data[:i] + data[j:]
    if how == "flip":
        return data[:i] + bytes(b ^ 0xFF for b in data[i:j][:4]) + data[i:][4:]
    return junk


@EXAMPLES
@given(series(st.tuples(COUNT, COUNT)), st.data())
def test_corrupted_nyt_raises_input_error_or_parses(rows: list[tuple], data: st.DataObject) -> None:
    good = encode(["date,cases,deaths", *(f"{d},{c},{x}" for d, c, x in rows)], False, False)
    bad = corrupt(good, data.draw)
    try:
        frame = parse_nyt(bad)
    except InputError as error:
        assert error.reason.startswith("nyt: ")
        return
    assert list(frame.columns) == ["date", "cases", "deaths"]  # what passes is well-formed
    assert frame["date"].is_unique and (frame[["cases", "deaths"]] >= 0).all().all()


@EXAMPLES
@given(series(st.tuples(st.one_of(st.none(), COUNT))), st.data())
def test_corrupted_jhu_raises_input_error_or_parses(rows: list[tuple], data: st.DataObject) -> None:
    us = [(d, "" if r is None else str(r)) for d, r in rows]
    bad = corrupt(encode(jhu_lines(us), False, False), data.draw)
    try:
        frame = parse_jhu(bad)
    except InputError as error:
        assert error.reason.startswith("jhu: ")
        return
    assert list(frame.columns) == ["date", "country", "province", "cases", "deaths", "recovered"]
    assert not frame.duplicated(["date", "country", "province"]).any()
    assert (frame[["cases", "deaths"]] >= 0).all().all()
    assert ((frame["recovered"] >= 0) | frame["recovered"].isna()).all()
