"""Parsing and validating the sources' CSV bytes: what is accepted and what is refused, and why."""

from __future__ import annotations

import pandas as pd
import pytest
from support import fixtures

from services.transformer.parse import parse_jhu, parse_lookup, parse_nyt
from shared.errors import InputError

NYT = "date,cases,deaths\n2020-03-01,10,1\n2020-03-02,20,2\n"
JHU_HEAD = "Date,Country/Region,Province/State,Confirmed,Recovered,Deaths\n"
JHU = JHU_HEAD + ("2020-03-01,Canada,Ontario,5,,0\n2020-03-01,US,,100,3,1\n2020-03-01,US,Washington,9,1,0\n"
                  "2020-03-02,US,,200,,2\n2020-03-02,Germany,,7,1,0\n")


def nyt_rows(data: bytes) -> list[tuple[str, int, int]]:
    return [(d, int(c), int(x)) for d, c, x in parse_nyt(data).itertuples(index=False)]


def refused(parse, data: bytes, *fragments: str) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as caught:
        parse(data)
    for fragment in fragments:
        assert fragment in caught.value.reason
    return caught.value.reason


def test_nyt_rows() -> None:
    assert nyt_rows(NYT.encode()) == [("2020-03-01", 10, 1), ("2020-03-02", 20, 2)]


def jhu_rows(data: bytes) -> list[tuple[str, str, str, int, int, int | None]]:
    frame = parse_jhu(data)
    return [(str(d), str(c), str(p), int(x), int(y), None if pd.isna(r) else int(r)) for d, c, p, x, y, r in
            frame[["date", "country", "province", "cases", "deaths", "recovered"]].itertuples(index=False)]


def test_jhu_keeps_every_row_sorted_by_region_and_date() -> None:
    assert jhu_rows(JHU.encode()) == [
        ("2020-03-01", "Canada", "Ontario", 5, 0, None), ("2020-03-02", "Germany", "", 7, 0, 1),
        ("2020-03-01", "US", "", 100, 1, 3), ("2020-03-02", "US", "", 200, 2, None),
        ("2020-03-01", "US", "Washington", 9, 0, 1)]
    assert list(parse_jhu(JHU.encode()).index) == [0, 4, 1, 3, 2]  # the data rows they come from


@pytest.mark.parametrize("variant", [
    pytest.param(("\ufeff" + NYT).encode(), id="BOM"),
    pytest.param(NYT.replace("\n", "\r\n").encode(), id="CRLF"),
    pytest.param(NYT.rstrip("\n").encode(), id="no-trailing-newline"),
    pytest.param(b"date,cases,deaths,extra\n2020-03-02,20,2,x\n2020-03-01,10,1,y\n", id="extra-column-unsorted"),
    pytest.param(b"deaths,date,cases\n1,2020-03-01,10\n2,2020-03-02,20\n", id="reordered-columns"),
    pytest.param(b"date,cases,deaths\n2020-03-01,10.0,1\n2020-03-02, 20 ,2\n", id="float-zero-and-spaces"),
])
def test_nyt_variants_that_are_accepted(variant: bytes) -> None:
    assert nyt_rows(variant) == [("2020-03-01", 10, 1), ("2020-03-02", 20, 2)]


def test_jhu_old_layout_with_lat_long() -> None:
    old = ("Date,Country/Region,Province/State,Lat,Long,Confirmed,Recovered,Deaths\n"
           "2020-03-01,US,,40.0,-100.0,100,3,1\n2020-03-01,France,,46.2,2.2,10,1,0\n")
    assert jhu_rows(old.encode()) == [("2020-03-01", "France", "", 10, 0, 1), ("2020-03-01", "US", "", 100, 1, 3)]


def test_missing_column_is_refused_and_named() -> None:
    reason = refused(parse_nyt, b"date,cases\n2020-03-01,10\n", "missing column(s) deaths", "format changed")
    assert "found date, cases" in reason
    refused(parse_jhu, b"Date,Country/Region,Province/State,Confirmed\n2020-03-01,US,,1\n", "Recovered")


@pytest.mark.parametrize("value", ["-1", "1.5", "ten", "1e3", ""])
def test_counts_must_be_integers_at_least_zero(value: str) -> None:
    refused(parse_nyt, f"date,cases,deaths\n2020-03-01,10,1\n2020-03-02,{value},2\n".encode(),
            "nyt: 1 value(s) of 'cases' are not integers >= 0", "row 3")


def test_jhu_recovered_must_be_an_integer_when_present() -> None:
    refused(parse_jhu, (JHU_HEAD + "2020-03-01,US,,100,-4,1\n").encode(), "'Recovered'", "row 2 (US): '-4'")


@pytest.mark.parametrize(("column", "row"), [("Confirmed", "2020-03-02,France,Reunion,-3,1,0"),
                                              ("Deaths", "2020-03-02,France,Reunion,3,1,-1")])
def test_a_province_row_with_a_negative_count_is_refused_and_named(column: str, row: str) -> None:
    data = (JHU + row + "\n").encode()
    refused(parse_jhu, data, f"jhu: 1 value(s) of '{column}' are not integers >= 0", "row 7 (France/Reunion)")


def test_jhu_cases_and_deaths_are_never_empty() -> None:
    refused(parse_jhu, (JHU + "2020-03-02,France,Reunion,,1,0\n").encode(), "'Confirmed'", "row 7")


@pytest.mark.parametrize("value", ["03/01/2020", "2020-3-1", "2020-02-30", "2020-03-01T00:00", "yesterday"])
def test_dates_must_be_iso_calendar_dates(value: str) -> None:
    refused(parse_nyt, f"date,cases,deaths\n{value},10,1\n".encode(), "not ISO-8601 YYYY-MM-DD", repr(value))


def test_duplicate_dates_are_refused() -> None:
    refused(parse_nyt, (NYT + "2020-03-01,11,1\n").encode(), "duplicate date(s) 2020-03-01")
    refused(parse_jhu, (JHU + "2020-03-02,US,,201,,2\n").encode(),
            "jhu: 1 region(s) have more than one row for a date: US on 2020-03-02 (rows 5, 7)")


def test_a_province_twice_on_one_date_is_refused_with_its_rows() -> None:
    twice = JHU + "2020-03-01, Canada , Ontario ,6,,0\n2020-03-01,Canada,Quebec,1,,0\n"
    refused(parse_jhu, twice.encode(), "1 region(s) have more than one row for a date",
            "Canada/Ontario on 2020-03-01 (rows 2, 7)", "one row per date")


def test_many_bad_rows_are_summarised() -> None:
    rows = "".join(f"2020-03-{d:02d},x,1\n" for d in range(1, 10))
    refused(parse_nyt, ("date,cases,deaths\n" + rows).encode(), "9 value(s)", "and 4 more")


@pytest.mark.parametrize("page", [b"<!DOCTYPE html><html><body>moved</body></html>",
                                  b"\n  <html><head></head></html>"])
def test_html_instead_of_csv_is_refused(page: bytes) -> None:
    refused(parse_nyt, page, "nyt: got an HTML page instead of CSV")


@pytest.mark.parametrize("data", [b"", b"  \n\n"])
def test_empty_file_is_refused(data: bytes) -> None:
    refused(parse_jhu, data, "jhu: the file is empty")


def test_header_only_is_refused() -> None:
    refused(parse_nyt, b"date,cases,deaths\n", "nyt: the file has a header but no data rows")


def test_not_utf8_is_refused() -> None:
    refused(parse_nyt, "date,cases,deaths\n2020-03-01,10,1\xff\n".encode("latin-1"), "nyt: not UTF-8")


def test_jhu_without_us_national_rows_is_refused() -> None:
    only_provinces = JHU_HEAD + "2020-03-01,US,Washington,9,1,0\n2020-03-01,Canada,,5,1,0\n"
    refused(parse_jhu, only_provinces.encode(), "no rows for the US national series")


def test_truncated_download_is_refused() -> None:
    refused(parse_nyt, b"date,cases,deaths\n2020-03-01,10,1\n2020-03-02,2", "last line (row 3)", "truncated")


def test_rows_of_the_wrong_width_are_refused() -> None:
    refused(parse_nyt, b"date,cases,deaths\n2020-03-01,10,1,7\n2020-03-02,20,2\n",
            "1 row(s) do not have the header's 3 fields", "row 2: 4 fields")


@pytest.mark.parametrize("count", [b"99999999999999999999", b"18446744073709551615", b"9223372036854775808"])
def test_a_count_too_large_for_64_bits_is_bad_input_not_a_crash(count: bytes) -> None:
    # 2**63 to 2**64 - 1 parse as unsigned 64-bit, which the nullable Int64 refuses with a TypeError
    # (found by the property test)
    with pytest.raises(InputError, match="out of range"):
        parse_nyt(b"date,cases,deaths\n2020-03-01," + count + b",0")


def test_lookup_keeps_the_columns_the_regions_need() -> None:
    frame = parse_lookup(fixtures.lookup_csv().encode())
    assert list(frame.columns) == ["uid", "iso2", "iso3", "country", "province", "admin2", "population"]
    us = frame[frame["uid"] == 840].iloc[0]
    assert (us["iso3"], us["country"], int(us["population"])) == ("USA", "US", 329466283)
    assert frame[frame["uid"] == 12401].iloc[0]["province"] == "Alberta"
    assert pd.isna(frame[frame["uid"] == 9999].iloc[0]["population"])  # a cruise ship has none


@pytest.mark.parametrize(("rows", "fragments"), [
    pytest.param([r.rsplit(",", 1)[0] for r in fixtures.LOOKUP_ROWS], ("lookup", "missing column(s) Population"),
                 id="no Population"),
    pytest.param([*fixtures.LOOKUP_ROWS, fixtures.LOOKUP_ROWS[1]], ("lookup", "duplicate UID(s) 124"), id="dup UID"),
    pytest.param([*fixtures.LOOKUP_ROWS, "1,,,,,,,,,,x,5"], ("lookup", "no Country_Region", "row 8"),
                 id="no country"),
    pytest.param([*fixtures.LOOKUP_ROWS, "2,,,,,,,X,,,X,many"], ("lookup", "'Population'", "'many'"),
                 id="bad population"),
    pytest.param([*fixtures.LOOKUP_ROWS, "abc,,,,,,,X,,,X,1"], ("lookup", "'UID'", "'abc'"), id="bad UID"),
    pytest.param(["<!DOCTYPE html><html><body>Not found</body></html>"], ("lookup", "HTML page"), id="HTML"),
])
def test_lookup_refuses_what_the_regions_cannot_use(rows: list[str], fragments: tuple[str, ...]) -> None:
    refused(parse_lookup, fixtures.lookup_csv(rows).encode(), *fragments)
