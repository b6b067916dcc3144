"""Small source files in the sources' real formats, so the e2e scenario runs without ../shared.

The old pair is a first load; the new pair is a later version that revises past dates, adds dates,
corrects a cumulative count downwards, and has JHU's quirk of writing 0 recoveries once it stopped
reporting them. JHU rows of other countries and US province rows surround the US national series,
and the old JHU file has the older layout with `Lat,Long` columns.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

START = date(2020, 3, 1)
OTHERS = [("Canada", "Ontario"), ("Canada", "Quebec"), ("Germany", ""), ("US", "Washington")]


def day(i: int) -> str:
    return (START + timedelta(days=i)).isoformat()


def nyt_rows(days: int, revised: dict[str, tuple[int, int]] | None = None) -> list[tuple[str, int, int]]:
    rows = [(day(i), 100 + 37 * i, 2 + 3 * i) for i in range(days)]
    return [(d, *(revised or {}).get(d, (c, x))) for d, c, x in rows]


def nyt_csv(rows: list[tuple[str, int, int]]) -> str:
    # the real file has no trailing newline
    return "date,cases,deaths\n" + "\n".join(f"{d},{c},{x}" for d, c, x in rows)


def us_recovered(i: int) -> int:
    """Zero for the first days (a real zero), then growing."""
    return 0 if i < 5 else 5 * (i - 4)


def jhu_csv(first: int, last: int, recovered: dict[str, str], lat_long: bool) -> str:
    """JHU combined file for days first..last; `recovered` overrides the US national cell."""
    head = ["Date", "Country/Region", "Province/State", "Confirmed", "Recovered", "Deaths"]
    if lat_long:
        head[3:3] = ["Lat", "Long"]
    lines = [",".join(head)]
    series = [(country, province) for country, province in OTHERS[:3]] + [("US", "")] + OTHERS[3:]
    for country, province in series:
        for i in range(first, last + 1):
            d = day(i)
            if (country, province) == ("US", ""):
                cells = [d, "US", "", str(90 + 30 * i), recovered.get(d, str(us_recovered(i))), str(1 + 3 * i)]
            else:
                rec = "" if country == "Canada" else str(2 * i)
                cells = [d, country, province, str(10 * i), rec, str(i // 2)]
            if lat_long:
                cells[3:3] = ["47.5", "-120.1"]
            lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def old_pair() -> tuple[str, str]:
    """NYT 2020-03-01..03-20; JHU 03-02..03-22, Lat/Long layout, one empty recovered cell."""
    nyt = nyt_csv(nyt_rows(20))
    jhu = jhu_csv(1, 21, {day(11): ""}, lat_long=True)
    return nyt, jhu


def new_pair() -> tuple[str, str]:
    """NYT 03-01..04-05 with revisions and a correction; JHU 03-02..04-06, current layout."""
    revised = {day(4): (100 + 37 * 4 + 4, 2 + 3 * 4), day(9): (100 + 37 * 9, 2 + 3 * 9 + 1),
               day(27): (100 + 37 * 26 - 50, 2 + 3 * 27)}  # day 27: cases go down (a correction)
    nyt = nyt_csv(nyt_rows(36, revised))
    recovered = {day(7): str(us_recovered(7) + 2),  # a revised value
                 day(11): str(us_recovered(11)),  # was empty, now reported
                 day(14): ""}  # was reported, now empty
    recovered.update({day(i): "0" for i in range(29, 37)})  # JHU stopped reporting: 0 means null
    jhu = jhu_csv(1, 36, recovered, lat_long=False)
    return nyt, jhu


def html_page() -> str:
    return "<!DOCTYPE html>\n<html><head><title>Moved</title></head><body>The file moved.</body></html>\n"


# An excerpt of JHU CSSE's UID_ISO_FIPS_LookUp_Table.csv (CSSEGISandData/COVID-19, commit 011e21a9; the
# whole file is in ../shared/data/jhu): a few of its 4,169 rows as the source stores them, `\r\n` line
# ends, a quoted name with a comma, a row without a population (the cruise ship's row is made up). "COVID-19
# Data Repository by the Center for Systems Science and Engineering (CSSE) at Johns Hopkins University",
# CC BY 4.0, which allows copying an excerpt with this credit. Every harness that starts a stack points
# COVID_ETL_LOOKUP_URL at this file (`support.stack.clean_env`), so none reaches for the live one.
LOOKUP_FILE = Path(__file__).resolve().parent / "lookup.csv"
LOOKUP_ROWS = LOOKUP_FILE.read_text().splitlines()


def lookup_csv(rows: list[str] | None = None) -> str:
    return "\r\n".join(LOOKUP_ROWS if rows is None else rows) + "\r\n"
