"""The four services as separate processes on the embedded stack: a first load, a later version of
the sources, and a run with unchanged sources, checked against an independent reference."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from support import fixtures
from support.reference import load_counts, read_world, reference, region_counts, table_after
from support.sources import SourceServer
from support.stack import Stack, free_port

from tests.support.tiers import no_real_data

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def real_pairs() -> tuple[tuple[Path, Path], tuple[Path, Path]]:
    if not DATA.is_dir():
        no_real_data("../shared/data not found (real source snapshots are not beside this clone)")
    old = (DATA / "nyt" / "us-2020-08-13.csv", DATA / "jhu" / "time-series-19-covid-combined-2020-09-25.csv")
    new = (DATA / "nyt" / "us.csv", DATA / "jhu" / "time-series-19-covid-combined.csv")
    return old, new


def scenario(tmp_path: Path, old: tuple, new: tuple, lookup: list[str] = fixtures.LOOKUP_ROWS) -> None:
    """`lookup`: the lookup table's lines (the excerpt knows the fixture pairs' regions, the real table
    the real files'); the last step serves it without its last line, a change that touches no region."""
    with SourceServer(tmp_path / "sources") as sources:
        sources.put({"lookup.csv": fixtures.lookup_csv(lookup)})
        sources.put_pair(old)
        with Stack.up(tmp_path / "stack", sources.url("nyt.csv"), sources.url("jhu.csv"),
                      COVID_ETL_LOOKUP_URL=sources.url("lookup.csv")) as stack:
            first = stack.first_run()
            want_first = reference(old)
            assert first["status"] == "succeeded", stack.logs()
            assert int(first["inserted"]) == len(want_first)
            assert stack.table() == want_first
            stack.subscribe()

            sources.put_pair(new)
            second = stack.run()
            want = table_after(want_first, reference(new))
            counts = load_counts(want_first, reference(new))
            assert second["status"] == "succeeded"
            assert {k: second[k] for k in counts} == counts
            assert stack.table() == want
            if lookup is not fixtures.LOOKUP_ROWS:
                every_region_served(stack, (old[1], new[1]))
            note = stack.notification(second["run_id"])
            assert note.attributes["status"] == "succeeded"
            assert (note.body["inserted"], note.body["updated"]) == (counts["inserted"], counts["updated"])
            assert f"{counts['inserted']} rows inserted, {counts['updated']} updated" in note.body["text"]

            third = stack.run()
            assert third["status"] == "no_change"
            assert (third["inserted"], third["updated"]) == (0, 0)
            assert stack.table() == want
            note = stack.notification(third["run_id"])
            assert note.attributes["status"] == "no_change"
            assert "no change" in note.body["text"]
            assert {n: s["changed"] for n, s in third["sources"].items()} == {"nyt": False, "jhu": False,
                                                                              "lookup": False}

            sources.put({"lookup.csv": fixtures.lookup_csv(lookup[:-1])})  # the lookup alone
            fourth = stack.run()
            assert (fourth["status"], fourth["inserted"], fourth["updated"]) == ("succeeded", 0, 0)
            assert {n: s["changed"] for n, s in fourth["sources"].items()} == {"nyt": False, "jhu": False,
                                                                               "lookup": True}
            assert stack.table() == want and not [w for w in fourth["warnings"] if w.startswith("lookup")]


def every_region_served(stack: Stack, jhu_files: tuple[Path, Path]) -> None:
    """Every series of the JHU files loaded (the later file's, and the earlier one's it dropped, whose rows
    the table keeps), and a national total for each country with several rows, is a region of
    `/api/v1/regions`; each one's cases and deaths equal the files' (the later one's over the earlier
    one's, date by date), summed here."""
    worlds = [read_world(jhu) for jhu in jhu_files]
    regions = get_json(f"{stack.api}/api/v1/regions")["data"]
    served = {(r["country"], r["province"] or "", r["level"]) for r in regions if r["id"] != "US"}
    wanted = set()
    for world in worlds:
        several = {c for c, _ in world if sum(1 for k, _ in world if k == c) > 1}
        wanted |= {(c, p, "province" if p else "mainland" if c in several else "country") for c, p in world}
        wanted |= {(c, "", "country") for c, p in world if c in several or p and (c, "") not in world}
    assert served == wanted
    for region in regions:
        if region["id"] == "US":
            continue  # NYT's, checked as the table above
        days = get_json(f"{stack.api}/api/v1/daily?region={urllib.parse.quote(region['id'])}")["data"]
        got = {d["date"]: (d["cases"], d["deaths"]) for d in days}
        want: dict[str, tuple[int, int]] = {}
        for world in worlds:
            if any(c == region["country"] for c, _ in world):
                want.update(region_counts(world, region["country"], region["province"], region["level"]))
        assert got == want, region["id"]


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_fixture_sources_load_then_update_then_no_change(tmp_path: Path) -> None:
    scenario(tmp_path, fixtures.old_pair(), fixtures.new_pair())


@pytest.mark.realdata
def test_real_sources_load_then_update_then_no_change(tmp_path: Path) -> None:
    old, new = real_pairs()
    scenario(tmp_path, old, new, (DATA / "jhu" / "UID_ISO_FIPS_LookUp_Table.csv").read_text().splitlines())


def test_without_the_lookup_the_run_succeeds_and_says_how_to_give_it_a_local_copy(tmp_path: Path) -> None:
    """The offline newcomer: NYT and JHU on local files, the lookup's URL unreachable."""
    unreachable = f"http://127.0.0.1:{free_port()}/lookup.csv"  # nothing listens there: as without internet
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(fixtures.old_pair())
        with Stack.up(tmp_path / "stack", sources.url("nyt.csv"), sources.url("jhu.csv"),
                      COVID_ETL_LOOKUP_URL=unreachable) as stack:
            first = stack.first_run()
            assert first["status"] == "succeeded", stack.logs()
            assert stack.table() == reference(fixtures.old_pair())
            [warning] = [w for w in first["warnings"] if w.startswith("lookup")]
            assert "cannot connect" in warning and "COVID_ETL_LOOKUP_URL" in warning
            assert {s["name"] for s in first["sources"]} == {"nyt", "jhu"}
