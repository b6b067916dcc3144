"""Every region of a small hand-written JHU file: ids, names, levels, members, populations, totals and
recovered, as docs/regions.md says (the real files: test_world_realdata.py)."""

from __future__ import annotations

import pytest

from services.transformer.parse import parse_jhu, parse_lookup, parse_nyt
from services.transformer.regions import Region, known_rows, slug
from services.transformer.world import Dataset, world
from shared.daily import from_source, read_from

HEAD = "Date,Country/Region,Province/State,Confirmed,Recovered,Deaths"
# (country, province): [(cases, recovered, deaths) on 03-01, 03-02, 03-03]
SERIES = {
    ("Afghanistan", ""): [("1", "0", "0"), ("2", "1", "0"), ("3", "0", "1")],  # a 0 after a positive: null
    ("France", ""): [("10", "1", "1"), ("20", "2", "1"), ("30", "3", "2")],
    ("France", "Reunion"): [("1", "", "0"), ("2", "1", "0"), ("4", "1", "0")],  # an empty recovered: null
    ("France", "Mayotte"): [("0", "0", "0"), ("1", "0", "0"), ("2", "0", "0")],  # zeros before any positive: zeros
    ("Canada", "Ontario"): [("5", "1", "0"), ("6", "2", "0"), ("7", "3", "1")],
    ("Canada", "Nunavut"): [("0", "", "0"), ("0", "", "0"), ("1", "", "0")],  # unknown to the lookup
    ("China", "Hong Kong"): [("8", "1", "0"), ("9", "2", "0"), ("9", "3", "0")],
    ("China", "Hubei"): [("100", "10", "5"), ("110", "20", "6"), ("120", "30", "7")],
    ("Diamond Princess", ""): [("700", "0", "1"), ("705", "5", "1"), ("712", "8", "2")],  # known, no iso2
    ("US", ""): [("90", "3", "1"), ("120", "4", "2"), ("150", "0", "3")],
    ("US", "Washington"): [("9", "1", "0"), ("10", "1", "0"), ("11", "1", "0")],
}
DAYS = ["2020-03-01", "2020-03-02", "2020-03-03"]
LOOKUP = """UID,iso2,iso3,code3,FIPS,Admin2,Province_State,Country_Region,Lat,Long_,Combined_Key,Population
4,AF,AFG,4,,,,Afghanistan,33.9,67.7,Afghanistan,38928341
250,FR,FRA,250,,,,France,46.2,2.2,France,65273512
638,RE,REU,638,,,Reunion,France,-21.1,55.5,"Reunion, France",895308
175,YT,MYT,175,,,Mayotte,France,-12.8,45.2,"Mayotte, France",272813
124,CA,CAN,124,,,,Canada,60,-95,Canada,37855702
12406,CA,CAN,124,,,Ontario,Canada,51.3,-85.3,"Ontario, Canada",14711827
156,CN,CHN,156,,,,China,35.9,104.2,China,1404676330
344,HK,HKG,344,,,Hong Kong,China,22.3,114.2,"Hong Kong, China",7496988
15617,CN,CHN,156,,,Hubei,China,30.9,112.3,"Hubei, China",57752557
9999,,,,,,,Diamond Princess,,,Diamond Princess,
840,US,USA,840,,,,US,40,-100,US,329466283
84053,US,USA,840,53,,Washington,US,47.4,-121.5,"Washington, US",7614893
84053001,US,USA,840,53001,Adams,Washington,US,47.0,-118.5,"Adams, Washington, US",19983
"""
NYT = "date,cases,deaths\n2020-03-01,100,2\n2020-03-02,130,4\n2020-03-03,160,6\n"


def jhu_csv(series: dict[tuple[str, str], list[tuple[str, str, str]]] = SERIES) -> str:
    lines = [HEAD]
    for i, day in enumerate(DAYS):  # by date, then by region: the real file's order differs, on purpose
        for (country, province), values in series.items():
            cases, recovered, deaths = values[i]
            name = f'"{province}"' if "," in province else province
            lines.append(f"{day},{country},{name},{cases},{recovered},{deaths}")
    return "\n".join(lines) + "\n"


def build(jhu: str = "", lookup: str = LOOKUP) -> tuple[Dataset, list[str]]:
    frames = {"nyt": parse_nyt(NYT.encode()), "jhu": parse_jhu((jhu or jhu_csv()).encode())}
    built, warnings = world(frames, known_rows(parse_lookup(lookup.encode())))
    return built.dataset(), warnings  # the body as written, parsed


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return build()[0]


def region(dataset: Dataset, rid: str) -> Region:
    [found] = [r for r in dataset["regions"] if r["id"] == rid]
    return found


def column(dataset: Dataset, rid: str, field: str) -> list[object]:
    return [row[field] for row in dataset["series"][rid]]  # type: ignore[literal-required]


def test_every_series_and_every_total_is_a_region_and_has_rows(dataset: Dataset) -> None:
    ids = sorted(r["id"] for r in dataset["regions"])
    assert ids == sorted(["AF", "FR", "FR-mainland", "RE", "YT", "CA", "CA-ontario", "CA-nunavut", "CN", "HK",
                          "CN-hubei", "diamond-princess", "US", "US-JHU", "US-washington"])
    assert sorted(dataset["series"]) == ids
    assert dataset["format"] == 2 and [r["id"] for r in dataset["regions"]] == ids  # sorted by id
    assert all(column(dataset, rid, "date") == DAYS for rid in ids)


@pytest.mark.parametrize(("rid", "name", "country", "province", "level"), [
    ("AF", "Afghanistan", "Afghanistan", None, "country"),
    ("FR", "France", "France", None, "country"),
    ("FR-mainland", "France (mainland)", "France", None, "mainland"),
    ("RE", "Reunion", "France", "Reunion", "province"),  # its own iso2: no other row without Admin2 has RE
    ("CA-ontario", "Ontario", "Canada", "Ontario", "province"),  # iso2 CA is Canada's too: country-slug
    ("CA-nunavut", "Nunavut", "Canada", "Nunavut", "province"),  # unknown to the lookup: country-slug
    ("HK", "Hong Kong", "China", "Hong Kong", "province"),
    ("diamond-princess", "Diamond Princess", "Diamond Princess", None, "country"),  # no iso2: the slug
    ("US", "United States", "US", None, "country"),
    ("US-JHU", "US (Johns Hopkins)", "US", None, "country"),
    ("US-washington", "Washington", "US", "Washington", "province"),
])
def test_ids_names_and_levels(dataset: Dataset, rid: str, name: str, country: str, province: str | None,
                              level: str) -> None:
    found = region(dataset, rid)
    assert (found["name"], found["country"], found["province"], found["level"]) == (name, country, province, level)


def test_codes_and_sources_come_from_the_lookup_where_it_knows_the_region(dataset: Dataset) -> None:
    fr = region(dataset, "FR")
    assert (fr["iso2"], fr["iso3"], fr["uid"], fr["sources"]) == ("FR", "FRA", 250, ["jhu", "lookup"])
    assert (region(dataset, "RE")["iso3"], region(dataset, "RE")["uid"]) == ("REU", 638)
    nunavut = region(dataset, "CA-nunavut")
    assert (nunavut["iso2"], nunavut["uid"], nunavut["sources"]) == (None, None, ["jhu"])
    us = region(dataset, "US")
    assert (us["iso3"], us["uid"], us["sources"]) == ("USA", 840, ["nyt", "jhu", "lookup"])
    assert region(dataset, "US-JHU")["sources"] == ["jhu", "lookup"]


def test_members_of_the_totals(dataset: Dataset) -> None:
    assert region(dataset, "FR")["members"] == ["FR-mainland", "YT", "RE"]  # the file's names, sorted
    assert region(dataset, "CA")["members"] == ["CA-nunavut", "CA-ontario"]
    assert region(dataset, "CN")["members"] == ["HK", "CN-hubei"]
    assert all(region(dataset, r)["members"] == [] for r in ("AF", "FR-mainland", "RE", "US", "US-JHU"))


def test_populations(dataset: Dataset) -> None:
    population = {r["id"]: r["population"] for r in dataset["regions"]}
    assert population["AF"] == 38928341 and population["RE"] == 895308 and population["HK"] == 7496988
    assert population["FR-mainland"] == 65273512  # the lookup's (France, "") row is the mainland's
    assert population["FR"] == 65273512 + 895308 + 272813  # with a mainland row: the sum of the rows'
    assert population["CA"] == 37855702  # no mainland row: the lookup's national row
    assert population["CN"] == 1404676330
    assert population["US"] == population["US-JHU"] == 329466283
    assert population["US-washington"] == 7614893  # the state's row, not a county's (Admin2)
    assert population["CA-nunavut"] is None and population["diamond-princess"] is None


def test_jhu_series_take_cases_deaths_and_recovered_from_the_file(dataset: Dataset) -> None:
    assert column(dataset, "CN-hubei", "cases") == [100, 110, 120]
    assert column(dataset, "CN-hubei", "deaths") == [5, 6, 7]
    assert column(dataset, "US-JHU", "cases") == [90, 120, 150]


def test_recovered_empty_or_zero_after_a_positive_is_null_per_series(dataset: Dataset) -> None:
    assert column(dataset, "AF", "recovered") == [0, 1, None]
    assert column(dataset, "RE", "recovered") == [None, 1, 1]
    assert column(dataset, "YT", "recovered") == [0, 0, 0]  # the rule looks at this series alone
    assert column(dataset, "US-JHU", "recovered") == [3, 4, None]
    assert column(dataset, "diamond-princess", "recovered") == [0, 5, 8]


def test_totals_are_the_sum_of_their_rows_and_null_where_any_row_is(dataset: Dataset) -> None:
    assert column(dataset, "FR", "cases") == [11, 23, 36]
    assert column(dataset, "FR", "deaths") == [1, 1, 2]
    assert column(dataset, "FR", "recovered") == [None, 3, 4]  # Reunion's 03-01 is unknown
    assert column(dataset, "CN", "cases") == [108, 119, 129]
    assert column(dataset, "CA", "recovered") == [None, None, None]  # Nunavut never reports it


def test_the_us_series_is_the_nyt_join_as_before(dataset: Dataset) -> None:
    assert dataset["series"]["US"] == [
        {"date": "2020-03-01", "cases": 100, "deaths": 2, "recovered": 3},
        {"date": "2020-03-02", "cases": 130, "deaths": 4, "recovered": 4},
        {"date": "2020-03-03", "cases": 160, "deaths": 6, "recovered": None},
    ]


def test_one_warning_names_the_regions_the_lookup_does_not_know() -> None:
    _, warnings = build()
    [warning] = [w for w in warnings if "does not know" in w]
    assert "2 the lookup table does not know" in warning
    assert "Canada/Nunavut" in warning and "Diamond Princess" in warning and "no population" in warning


def test_a_total_leaves_out_a_date_that_not_all_its_rows_have() -> None:
    jhu = jhu_csv().splitlines()
    jhu = [line for line in jhu if not line.startswith("2020-03-02,Canada,Ontario")]
    dataset, warnings = build("\n".join(jhu) + "\n")
    assert column(dataset, "CA", "date") == ["2020-03-01", "2020-03-03"]
    assert column(dataset, "CA-ontario", "date") == ["2020-03-01", "2020-03-03"]
    assert any("Canada's total leaves out 1 date(s)" in w and "2020-03-02" in w for w in warnings)


def test_the_same_inputs_give_the_same_ids_and_rows() -> None:
    assert build() == build()


def test_without_a_lookup_row_a_country_gets_the_slug_of_its_name() -> None:
    lookup = "\n".join(line for line in LOOKUP.splitlines() if ",Afghanistan," not in line)
    dataset, _ = build(lookup=lookup)
    found = region(dataset, "afghanistan")
    assert (found["population"], found["iso2"], found["sources"]) == (None, None, ["jhu"])


def test_two_countries_with_one_iso2_do_not_share_an_id() -> None:
    lookup = LOOKUP.replace("4,AF,AFG,4,,,,Afghanistan", "4,FR,AFG,4,,,,Afghanistan")
    dataset, warnings = build(lookup=lookup)
    ids = [r["id"] for r in dataset["regions"]]
    assert len(ids) == len(set(ids)) and "FR-france" in ids and "FR" in ids
    assert any("id FR taken twice" in w for w in warnings)


@pytest.mark.parametrize(("name", "expected"), [
    ("New South Wales", "new-south-wales"), ("Bonaire, Sint Eustatius and Saba", "bonaire-sint-eustatius-and-saba"),
    ("Falkland Islands (Malvinas)", "falkland-islands-malvinas"), ("Taiwan*", "taiwan"),
    ("Korea, South", "korea-south"),
])
def test_slug(name: str, expected: str) -> None:
    assert slug(name) == expected


def test_the_row_declaration_says_which_jhu_column_gives_each_field() -> None:
    assert [(f.name, column) for f, column in read_from("jhu")] == [
        ("cases", "Confirmed"), ("deaths", "Deaths"), ("recovered", "Recovered")]
    assert [(f.name, column) for f, column in read_from("nyt")] == [("cases", "cases"), ("deaths", "deaths")]
    assert [f.name for f in from_source("jhu")] == ["recovered"]  # the `US` series' sources are unchanged
