"""The bad inputs, each as the (nyt, jhu) pair served and what the run must say about it.

Every case is a variant of the last good pair (the fixture's old pair), so an accepted variant
carries the same data and must load with 0 inserted and 0 updated.
"""

from __future__ import annotations

from dataclasses import dataclass

from support import fixtures

NYT, JHU = fixtures.old_pair()


@dataclass(frozen=True)
class Case:
    name: str
    nyt: str | bytes = NYT
    jhu: str | bytes = JHU
    reason: str = ""  # a part of the reason the ledger and the notification must give; "" = accepted
    stage: str = "transform"
    http: tuple[str, str, float] | None = None  # (file, "fail" or "hang", status or seconds)

    @property
    def accepted(self) -> bool:
        return not self.reason


def lines(text: str) -> list[str]:
    return text.splitlines()


def nyt_with(row: int, cell: int, value: str) -> str:
    """NYT with one cell replaced (row 1 is the first data row)."""
    rows = [line.split(",") for line in lines(NYT)]
    rows[row][cell] = value
    return "\n".join(",".join(r) for r in rows)


def jhu_us_dates(mapping: dict[str, str]) -> str:
    """JHU with the dates of some US national rows rewritten."""
    out = []
    for line in lines(JHU):
        cells = line.split(",")
        if cells[1:3] == ["US", ""] and cells[0] in mapping:
            cells[0] = mapping[cells[0]]
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def jhu_twice(country: str, province: str) -> tuple[str, str]:
    """JHU with the region's first row repeated at the end (a second row for its date), and the reason."""
    rows = lines(JHU)
    first = next(i for i, line in enumerate(rows) if line.split(",")[1:3] == [country, province])
    region = f"{country}/{province}" if province else country
    day = rows[first].split(",")[0]
    return "\n".join([*rows, rows[first]]) + "\n", \
        f"{region} on {day} (rows {first + 1}, {len(rows) + 1})"


def jhu_negative(country: str, province: str) -> tuple[str, str]:
    """JHU with the region's last row's Confirmed made negative, and the reason."""
    rows = [line.split(",") for line in lines(JHU)]
    last = max(i for i, cells in enumerate(rows) if cells[1:3] == [country, province])
    column = rows[0].index("Confirmed")
    rows[last][column] = "-" + rows[last][column]
    return "\n".join(",".join(r) for r in rows) + "\n", \
        f"jhu: 1 value(s) of 'Confirmed' are not integers >= 0 (row {last + 1} ({country}/{province}): " \
        f"'{rows[last][column]}')"


PROVINCE_TWICE, PROVINCE_TWICE_REASON = jhu_twice("Canada", "Ontario")
COUNTRY_TWICE, COUNTRY_TWICE_REASON = jhu_twice("Germany", "")
NEGATIVE_PROVINCE, NEGATIVE_PROVINCE_REASON = jhu_negative("Canada", "Quebec")


def too_big() -> str:
    """A well-formed NYT file of about 100 KB (over the suite's 64 KB cap)."""
    return fixtures.nyt_csv(fixtures.nyt_rows(20) + [(f"1990-{1 + i % 12:02d}-01", i, i) for i in range(5000)])


CASES = [
    Case("HTTP 404", reason="HTTP 404", stage="extract", http=("nyt.csv", "fail", 404)),
    Case("HTTP 500", reason="HTTP 500", stage="extract", http=("jhu.csv", "fail", 500)),
    Case("source timeout", reason="timed out after 1 s (gave up after 2 attempts)", stage="extract",
         http=("nyt.csv", "hang", 3)),
    Case("HTML page instead of CSV", nyt=fixtures.html_page(), reason="nyt: got an HTML page instead of CSV"),
    Case("empty file", jhu="", reason="jhu: the file is empty"),
    Case("header only", nyt="date,cases,deaths\n", reason="nyt: the file has a header but no data rows"),
    Case("missing column", nyt="\n".join(",".join(r.split(",")[:2]) for r in lines(NYT)),
         reason="nyt: missing column(s) deaths"),
    Case("renamed column", jhu=JHU.replace(",Recovered,", ",Recoveries,", 1),
         reason="jhu: missing column(s) Recovered"),
    Case("extra columns (accepted)", nyt="\n".join(f"{r},{'source' if i == 0 else 'nyt'}"
                                                   for i, r in enumerate(lines(NYT)))),
    Case("BOM and CRLF line ends (accepted)", nyt="\ufeff" + NYT.replace("\n", "\r\n"),
         jhu="\ufeff" + JHU.replace("\n", "\r\n")),
    Case("non-numeric count", nyt=nyt_with(3, 1, "1o3"), reason="nyt: 1 value(s) of 'cases' are not integers"),
    Case("negative count", nyt=nyt_with(5, 2, "-3"), reason="of 'deaths' are not integers >= 0 (row 6: '-3')"),
    Case("date not ISO-8601", nyt=nyt_with(2, 0, "03/03/2020"),
         reason="nyt: 1 date(s) are not ISO-8601 YYYY-MM-DD or impossible (row 3: '03/03/2020')"),
    Case("impossible date", nyt=nyt_with(4, 0, "2020-02-30"), reason="row 5: '2020-02-30'"),
    Case("JHU dates as YYYY-DD-MM for two days",
         jhu=jhu_us_dates({"2020-03-13": "2020-13-03", "2020-03-14": "2020-14-03"}),
         reason="jhu: 2 date(s) are not ISO-8601 YYYY-MM-DD or impossible"),
    Case("duplicate dates", nyt=NYT + "\n" + lines(NYT)[6], reason="nyt: duplicate date(s) 2020-03-06"),
    Case("unsorted rows (accepted)", nyt="\n".join([lines(NYT)[0], *reversed(lines(NYT)[1:])])),
    Case("truncated last line", nyt=NYT[:-3], reason="the file looks truncated"),
    Case("file over the size cap", nyt=too_big(), reason="larger than the size cap of 65536 bytes",
         stage="extract"),
    # issue 18: two values for one region and date cannot both be right, and a total would count both;
    # a negative cumulative count is a broken row: each fails the run, the table keeps its last good state
    Case("a province twice for one date", jhu=PROVINCE_TWICE, reason=PROVINCE_TWICE_REASON),
    Case("a country twice for one date", jhu=COUNTRY_TWICE, reason=COUNTRY_TWICE_REASON),
    Case("a province row with a negative count", jhu=NEGATIVE_PROVINCE, reason=NEGATIVE_PROVINCE_REASON),
    Case("JHU without US rows", jhu="\n".join(r for r in lines(JHU) if ",US,," not in r),
         reason="jhu: no rows for the US national series"),
]
