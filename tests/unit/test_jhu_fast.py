"""The JHU fast path: the same rows as the strict path on any block size; irregular files go strict."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.transformer import jhu_fast, parse
from services.transformer.jhu_fast import all_rows
from shared.errors import InputError
from tests.support.tiers import no_real_data

HEAD = "Date,Country/Region,Province/State,Confirmed,Recovered,Deaths\n"
BODY = ('2020-03-01,"Korea, South",,5,,0\n2020-03-01,US,,100,3,1\n\n2020-03-01,US,Washington,9,1,0\n'
        '2020-03-02, US ,,200,,2\n2020-03-02,"Bonaire, Sint Eustatius and Saba",,7,1,0\n2020-03-03,US,,300,4,3')
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "jhu"


def strict(data: bytes) -> pd.DataFrame:
    return parse.jhu_strict(data)


def same(fast: pd.DataFrame, slow: pd.DataFrame) -> bool:
    """The same rows, values and row numbers (categories compared as their strings)."""
    names = dict.fromkeys(jhu_fast.LABELS, str)
    return bool(fast.astype(names).equals(slow.astype(names))) and list(fast.index) == list(slow.index) and \
        all(fast[c].dtype == slow[c].dtype for c in ("cases", "deaths", "recovered"))


def test_both_paths_require_the_one_list_of_columns() -> None:
    assert parse.JHU_COLUMNS is jhu_fast.JHU_COLUMNS
    assert jhu_fast.VALUE_COLUMNS == ("Confirmed", "Deaths", "Recovered")  # from shared.daily's declaration


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
@pytest.mark.parametrize("variant", ["plain", "crlf", "bom", "trailing newline", "lat long"])
def test_same_rows_as_the_strict_path(block: int, variant: str) -> None:
    text = {"plain": HEAD + BODY, "crlf": (HEAD + BODY).replace("\n", "\r\n"), "bom": "\ufeff" + HEAD + BODY,
            "trailing newline": HEAD + BODY + "\n",
            "lat long": "Date,Country/Region,Province/State,Lat,Long,Confirmed,Recovered,Deaths\n"
                        "2020-03-01,US,,40.1,-100.5,100,3,1\n2020-03-01,France,Reunion,-21.1,55.5,7,,0\n"}[variant]
    data = text.encode()
    fast = all_rows(io.BytesIO(data), block=block)
    assert fast is not None and len(fast)
    assert same(fast, strict(data))


def test_every_row_is_kept_with_its_values() -> None:
    fast = all_rows(io.BytesIO((HEAD + BODY).encode()))
    assert fast is not None
    rows = [(str(d), str(c), str(p), int(x), int(y), None if pd.isna(r) else int(r))
            for d, c, p, x, y, r in fast[["date", "country", "province", "cases", "deaths", "recovered"]].itertuples(
                index=False)]
    assert rows == [("2020-03-01", "Korea, South", "", 5, 0, None), ("2020-03-01", "US", "", 100, 1, 3),
                    ("2020-03-01", "US", "Washington", 9, 0, 1), ("2020-03-02", "US", "", 200, 2, None),
                    ("2020-03-02", "Bonaire, Sint Eustatius and Saba", "", 7, 0, 1),
                    ("2020-03-03", "US", "", 300, 3, 4)]


@pytest.mark.parametrize("data", [
    pytest.param((HEAD + "2020-03-01,US,,1,2\n" + BODY).encode(), id="short row inside"),
    pytest.param((HEAD + "2020-03-01,US,,1,2,3,4\n" + BODY).encode(), id="long row"),
    pytest.param((HEAD + BODY).replace("\n", "\r").encode(), id="bare CR"),
    pytest.param((HEAD + '2020-03-01,"Korea,\nSouth",,5,,0\n').encode(), id="quoted line break"),
    pytest.param((HEAD + "2020-03-01,Cura\xe7ao,,5,,0\n").encode("latin-1"), id="not UTF-8"),
    pytest.param((HEAD + BODY + "\n2020-03-04,US,,\xff,5,0\n").encode("latin-1"), id="not UTF-8 in a count"),
    pytest.param((HEAD + '2020-03-03,France,,"7,8",1\n' + BODY).encode(), id="quoted comma hiding a missing field"),
    pytest.param(HEAD.encode(), id="header only"),
    pytest.param(b"Date,Country/Region,Confirmed\n2020-03-01,US,1\n", id="missing column"),
    pytest.param(b"<html><body>moved</body></html>", id="HTML"),
    pytest.param((HEAD + "2020-03-01,France,Reunion,-3,,0\n").encode(), id="negative count"),
    pytest.param((HEAD + "2020-03-01,France,Reunion,-0,,0\n").encode(), id="minus zero"),
    pytest.param((HEAD + "2020-03-01,France,Reunion,+3,,0\n").encode(), id="plus sign"),
    pytest.param((HEAD + "2020-03-01,France,Reunion,3,1e3,0\n").encode(), id="exponent"),
    pytest.param((HEAD + "2020-03-01,France,Reunion,3.0,1,0\n").encode(), id="decimal point"),
    pytest.param((HEAD + "2020-03-01,France,Reunion, 3,1,0\n").encode(), id="space in a count"),
    pytest.param((HEAD + "2020-03-01,France,Reunion,,1,0\n").encode(), id="empty cases"),
    pytest.param((HEAD + "2020-03-01,France,Reunion,1234567890123456,1,0\n").encode(),
                 id="16 digits"),
    pytest.param((HEAD + '2020-03-01,"France","Reunion","-3",,0\n').encode(), id="quoted negative"),
    pytest.param((HEAD + "2020-3-01,France,Reunion,3,1,0\n").encode(), id="date not ISO"),
    pytest.param((HEAD + "2020-02-30,France,Reunion,3,1,0\n").encode(), id="impossible date"),
])
@pytest.mark.parametrize("block", [16, 1 << 20])
def test_irregular_files_take_the_strict_path(data: bytes, block: int) -> None:
    assert all_rows(io.BytesIO(data), block=block) is None


def test_the_strict_path_still_says_what_is_wrong() -> None:
    with pytest.raises(InputError, match="do not have the header's 6 fields"):
        parse.parse_jhu((HEAD + "2020-03-01,Canada,,1,2\n" + BODY).encode())


def test_accepted_oddities_read_the_same_on_the_strict_path() -> None:
    # "3.0" and " 3" are counts to the strict path: the fast path leaves them to it, same values
    data = (HEAD + "2020-03-01,US,,3.0,1,0\n2020-03-02,US,, 4 ,,1\n").encode()
    frame = parse.parse_jhu(data)
    assert list(frame["cases"]) == [3, 4] and list(frame["deaths"]) == [0, 1]


CELL = st.one_of(st.integers(0, 10**16).map(str), st.just(""), st.sampled_from(["-0", "+1", "1e3", " 7", "3.0", "x"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 28), st.sampled_from(["US", "France", "Korea, South"]),
                          st.sampled_from(["", "Reunion", " Reunion"]), CELL, CELL, CELL), min_size=1, max_size=30),
       st.integers(8, 200))
def test_fast_is_none_or_exactly_the_strict_result(rows: list[tuple[int, str, str, str, str, str]], block: int) -> None:
    # names quoted only where they hold a comma: the other lines take the byte-level check of the counts
    lines = [f'2020-03-{d:02d},{json.dumps(c) if "," in c else c},{p},{x},{r},{y}' for d, c, p, x, r, y in rows]
    data = (HEAD + "\n".join(lines)).encode()
    fast = all_rows(io.BytesIO(data), block=block)
    try:
        slow = strict(data)
    except InputError:
        assert fast is None
        return
    assert fast is None or same(fast, slow)


@pytest.mark.parametrize("name", ["time-series-19-covid-combined.csv", "time-series-19-covid-combined-2020-09-25.csv"])
def test_the_real_files(name: str) -> None:
    if not (REAL / name).is_file():
        no_real_data("../shared/data not present")
    data = (REAL / name).read_bytes()
    fast = all_rows(io.BytesIO(data), block=1 << 16)
    assert fast is not None and same(fast, strict(data))
    assert parse.parse_jhu_file(REAL / name).equals(parse.parse_jhu(data))
    assert len(fast) == data.count(b"\n") - 1 + (not data.endswith(b"\n"))  # every line but the header
    assert np.array_equal(fast.index, np.arange(len(fast)))
