"""The JHU fast path: the same US rows as the strict path on any block size; irregular files go strict."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from services.transformer import jhu_fast, parse
from services.transformer.jhu_fast import us_rows
from shared.errors import InputError
from tests.support.tiers import no_real_data

HEAD = "Date,Country/Region,Province/State,Confirmed,Recovered,Deaths\n"
BODY = ('2020-03-01,"Korea, South",,5,,0\n2020-03-01,US,,100,3,1\n\n2020-03-01,US,Washington,9,1,0\n'
        '2020-03-02, US ,,200,,2\n2020-03-02,"Bonaire, Sint Eustatius and Saba",,7,1,0\n2020-03-03,US,,300,4,3')
REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "jhu" / "time-series-19-covid-combined.csv"


def strict_us(data: bytes):  # type: ignore[no-untyped-def]
    frame = parse.read_table("jhu", data, parse.JHU_COLUMNS)
    return frame[(frame["Country/Region"].str.strip() == "US") & (frame["Province/State"].str.strip() == "")]


def test_both_paths_require_the_one_list_of_columns() -> None:
    assert parse.JHU_COLUMNS is jhu_fast.JHU_COLUMNS


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
@pytest.mark.parametrize("variant", ["plain", "crlf", "bom", "trailing newline"])
def test_same_rows_as_the_strict_path(block: int, variant: str) -> None:
    text = {"plain": HEAD + BODY, "crlf": (HEAD + BODY).replace("\n", "\r\n"), "bom": "\ufeff" + HEAD + BODY,
            "trailing newline": HEAD + BODY + "\n"}[variant]
    data = text.encode()
    fast = us_rows(io.BytesIO(data), block=block)
    assert fast is not None
    expected = strict_us(data)
    assert fast.equals(expected) and list(fast.index) == list(expected.index)


@pytest.mark.parametrize("data", [
    pytest.param((HEAD + "2020-03-01,US,,1,2\n" + BODY).encode(), id="short row inside"),
    pytest.param((HEAD + "2020-03-01,US,,1,2,3,4\n" + BODY).encode(), id="long row"),
    pytest.param((HEAD + BODY).replace("\n", "\r").encode(), id="bare CR"),
    pytest.param((HEAD + '2020-03-01,"Korea,\nSouth",,5,,0\n').encode(), id="quoted line break"),
    pytest.param((HEAD + "2020-03-01,Cura\xe7ao,,5,,0\n").encode("latin-1"), id="not UTF-8"),
    pytest.param((HEAD + BODY + "\n2020-03-04,US,,\xff,5,0\n").encode("latin-1"), id="not UTF-8 in an unused column"),
    pytest.param((HEAD + '2020-03-03,France,,"7,8",1\n' + BODY).encode(), id="quoted comma hiding a missing field"),
    pytest.param(HEAD.encode(), id="header only"),
    pytest.param(b"Date,Country/Region,Confirmed\n2020-03-01,US,1\n", id="missing column"),
    pytest.param(b"<html><body>moved</body></html>", id="HTML"),
])
@pytest.mark.parametrize("block", [16, 1 << 20])
def test_irregular_files_take_the_strict_path(data: bytes, block: int) -> None:
    assert us_rows(io.BytesIO(data), block=block) is None


def test_the_strict_path_still_says_what_is_wrong() -> None:
    with pytest.raises(InputError, match="do not have the header's 6 fields"):
        parse.parse_jhu((HEAD + "2020-03-01,Canada,,1,2\n" + BODY).encode())


def test_the_real_file() -> None:
    if not REAL.is_file():
        no_real_data("../shared/data not present")
    data = REAL.read_bytes()
    fast = us_rows(io.BytesIO(data), block=1 << 16)
    assert fast is not None and fast.equals(strict_us(data)) and len(fast) == 420
    assert parse.parse_jhu_file(REAL).equals(parse.parse_jhu(data))
