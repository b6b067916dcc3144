"""The transformer on the real snapshots (2021-03-17 and 2020-09-25 JHU files, NYT us.csv, the lookup):
every region's every date checked against sums computed here with the `csv` module from the same file,
the `US` series against the transformer as it was before issue 18, and the count of regions."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from services.transformer.lookup import lookup_for_run
from services.transformer.parse import parse_jhu_file, parse_lookup, parse_nyt
from services.transformer.regions import Region
from services.transformer.world import Dataset, world
from tests.support.tiers import no_real_data

pytestmark = pytest.mark.realdata
ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
NYT = DATA / "nyt" / "us.csv"
LOOKUP = DATA / "jhu" / "UID_ISO_FIPS_LookUp_Table.csv"
FILES = {"2021-03-17": DATA / "jhu" / "time-series-19-covid-combined.csv",
         "2020-09-25": DATA / "jhu" / "time-series-19-covid-combined-2020-09-25.csv"}
SERIES = {"2021-03-17": 274, "2020-09-25": 266}  # the files' (country, province) pairs, counted by hand
TOTALS = ["Australia", "Canada", "China", "Denmark", "France", "Netherlands", "United Kingdom"]
BEFORE = "efdbd19"  # main before issue 18: its transformer made the US series alone
Cells = dict[str, tuple[int, int, int | None]]  # date: (cases, deaths, recovered)


def need(*paths: Path) -> None:
    if not all(p.is_file() for p in paths):
        no_real_data("../shared/data not present")


@cache
def transformed(snapshot: str) -> Dataset:
    frames = {"nyt": parse_nyt(NYT.read_bytes()), "jhu": parse_jhu_file(FILES[snapshot])}
    lookup, _ = lookup_for_run(parse_lookup(LOOKUP.read_bytes()), None)
    return world(frames, lookup)[0].dataset()


@cache
def by_row(snapshot: str) -> dict[tuple[str, str], Cells]:
    """The file read with `csv`: each (country, province)'s cells by date, recovered as in the file."""
    out: dict[tuple[str, str], Cells] = defaultdict(dict)
    with open(FILES[snapshot], newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["Country/Region"].strip(), row["Province/State"].strip())
            assert row["Date"] not in out[key], f"{key} twice on {row['Date']}"
            recovered = int(row["Recovered"]) if row["Recovered"] else None
            out[key][row["Date"]] = (int(row["Confirmed"]), int(row["Deaths"]), recovered)
    return out


def reported(cells: Cells) -> Cells:
    """Recovered unknown where empty or 0 after the series was once positive."""
    seen, out = False, {}
    for day in sorted(cells):
        cases, deaths, recovered = cells[day]
        out[day] = (cases, deaths, None if recovered == 0 and seen else recovered)
        seen = seen or bool(recovered)
    return out


def expected(snapshot: str, region: Region) -> Cells:
    rows = by_row(snapshot)
    if region["members"]:  # a total: every row of the country, summed here
        parts = [reported(cells) for (country, _), cells in rows.items() if country == region["country"]]
        days = set.intersection(*(set(p) for p in parts))
        return {d: (sum(p[d][0] for p in parts), sum(p[d][1] for p in parts),
                    None if any(p[d][2] is None for p in parts) else sum(p[d][2] for p in parts))  # type: ignore[misc]
                for d in days}
    return reported(rows[(region["country"], region["province"] or "")])


@pytest.mark.parametrize("snapshot", FILES)
def test_every_region_every_date_equals_the_files_own_sums(snapshot: str) -> None:
    need(FILES[snapshot], NYT, LOOKUP)
    dataset = transformed(snapshot)
    checked = 0
    for region in dataset["regions"]:
        if region["id"] == "US":
            continue
        got = {r["date"]: (r["cases"], r["deaths"], r["recovered"]) for r in dataset["series"][region["id"]]}
        want = expected(snapshot, region)
        assert got == want, region["id"]
        assert list(got) == sorted(got)
        checked += 1
    assert checked == len(dataset["regions"]) - 1


@pytest.mark.parametrize("snapshot", FILES)
def test_the_regions_are_the_files_series_the_totals_and_the_joined_us(snapshot: str) -> None:
    need(FILES[snapshot], NYT, LOOKUP)
    dataset = transformed(snapshot)
    assert len(by_row(snapshot)) == SERIES[snapshot]
    totals = sorted(r["country"] for r in dataset["regions"] if r["members"])
    assert totals == TOTALS
    assert len(dataset["regions"]) == SERIES[snapshot] + len(TOTALS) + 1  # + `US` (JHU's US row is US-JHU)
    ids = [r["id"] for r in dataset["regions"]]
    assert len(set(ids)) == len(ids) and sorted(dataset["series"]) == sorted(ids)
    mainland = sorted(r["country"] for r in dataset["regions"] if r["level"] == "mainland")
    assert mainland == ["Denmark", "France", "Netherlands", "United Kingdom"]
    pairs = {(r["country"], r["province"] or "") for r in dataset["regions"] if not r["members"] and r["id"] != "US"}
    assert pairs == set(by_row(snapshot))


def test_populations_are_the_lookups() -> None:
    need(FILES["2021-03-17"], NYT, LOOKUP)
    dataset = transformed("2021-03-17")
    with open(LOOKUP, newline="", encoding="utf-8") as f:
        table = {(r["Country_Region"].strip(), r["Province_State"].strip()): r["Population"]
                 for r in csv.DictReader(f) if not r["Admin2"].strip()}
    regions = {r["id"]: r for r in dataset["regions"]}
    for region in dataset["regions"]:
        if region["members"]:
            continue
        known = table.get((region["country"], region["province"] or ""))
        want = int(known) if known else None
        if region["id"] in ("diamond-princess", "ms-zaandam"):
            want = None
        assert region["population"] == want, region["id"]
    assert regions["CA"]["population"] == int(table[("Canada", "")])  # no mainland row: the national row
    france = sum(regions[m]["population"] or 0 for m in regions["FR"]["members"])
    assert regions["FR"]["population"] == france  # with one: the rows'
    assert regions["US"]["population"] == regions["US-JHU"]["population"] == int(table[("US", "")])


BEFORE_CHILD = """
import json, sys
from services.transformer.parse import parse_jhu, parse_nyt
from services.transformer.transform import to_records, transform
nyt, jhu = (open(path, "rb").read() for path in sys.argv[1:3])
frame, _ = transform({"nyt": parse_nyt(nyt), "jhu": parse_jhu(jhu)})
print(json.dumps(to_records(frame)))
"""


@pytest.mark.parametrize("snapshot", FILES)
def test_the_us_series_is_what_the_transformer_made_before(snapshot: str, tmp_path: Path) -> None:
    """The code of main at BEFORE, checked out here, run on the same files: the same rows."""
    need(FILES[snapshot], NYT)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "services/transformer", "shared",
                              "services/__init__.py"], capture_output=True, check=False)
    if archive.returncode:
        no_real_data(f"git history without {BEFORE}: {archive.stderr.decode()[:200]}")
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=archive.stdout, check=True)
    before = subprocess.run([sys.executable, "-c", BEFORE_CHILD, str(NYT), str(FILES[snapshot])], cwd=tmp_path,
                            capture_output=True, text=True, check=True, env={"PYTHONPATH": str(tmp_path)}).stdout
    assert transformed(snapshot)["series"]["US"] == json.loads(before)
    assert len(json.loads(before)) > 200
