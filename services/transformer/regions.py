"""The region catalogue: each series of the JHU file, the national totals and the two US series, with
their ids, names, levels, codes and populations from JHU's lookup table (docs/regions.md).

Pure: the file's (country, province) pairs and the parsed lookup in, regions and warnings out. The
ids are a function of these inputs alone, so the same files give the same ids on every run.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypedDict

import pandas as pd

Level = Literal["country", "province", "mainland"]
US = "US"  # the joined series' id, and JHU's spelling of the country
US_JHU = "US-JHU"
US_JHU_NAME = "US (Johns Hopkins)"
SHOW = 8


class Region(TypedDict):
    """A region as the dataset (format 2) lists it."""

    id: str
    name: str
    country: str
    province: str | None  # null unless level is province
    level: Level
    population: int | None
    iso2: str | None
    iso3: str | None
    uid: int | None
    sources: list[str]
    members: list[str]  # a total's regions, else []


@dataclass(frozen=True)
class Known:
    """A lookup row without Admin2: what it says about a country or a province."""

    uid: int
    iso2: str
    iso3: str
    population: int | None


@dataclass(frozen=True)
class Catalogue:
    regions: list[Region]
    ids: dict[tuple[str, str], str]  # each (country, province) of the file: its region's id
    warnings: list[str]


def slug(name: str) -> str:
    """Lower case, each run of characters other than a-z0-9 one '-', trimmed of '-'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def known_rows(lookup: pd.DataFrame) -> dict[tuple[str, str], Known]:
    """The lookup's rows without Admin2 by (country, province) (`parse.parse_lookup`'s frame)."""
    rows = lookup[lookup["admin2"] == ""]
    return {(c, p): Known(int(u), i2, i3, None if pd.isna(n) else int(n))
            for c, p, u, i2, i3, n in zip(rows["country"], rows["province"], rows["uid"], rows["iso2"], rows["iso3"],
                                          rows["population"], strict=True)}


def catalogue(pairs: Iterable[tuple[str, str]], lookup: dict[tuple[str, str], Known]) -> Catalogue:
    """Every region of a file whose series are `pairs` (country, province; stripped)."""
    by_country: dict[str, list[str]] = {}
    for country, province in sorted(set(pairs)):
        by_country.setdefault(country, []).append(province)
    built = _Builder(Counter(k.iso2 for k in lookup.values() if k.iso2))
    for country, provinces in by_country.items():
        national = lookup.get((country, ""))
        if national is None or not national.iso2:
            built.unknown.append(country)
        cid = national.iso2 if national and national.iso2 else slug(country)
        if country == US:  # the US total is NYT's series (`US`): JHU's national row is one more series
            cid = US_JHU
        alone = provinces == [""] or country == US
        if "" in provinces:
            name = US_JHU_NAME if country == US else country if alone else f"{country} (mainland)"
            built.add(country, "", cid if alone else f"{cid}-mainland", name, "country" if alone else "mainland",
                      national)
        for province in (p for p in provinces if p):
            built.province(country, province, cid.removesuffix("-JHU"), lookup.get((country, province)))
        if not alone:
            members = [built.ids[(country, p)] for p in provinces]
            if "" in provinces:  # the lookup's national row is the mainland's: the total is the rows' sum
                known = [r["population"] for r in built.regions if r["id"] in members and r["population"] is not None]
                population = sum(known) if known else None
            else:
                population = national.population if national else None
            built.add(country, None, cid, country, "country", national, members, population)
    us = lookup.get((US, ""))
    if (US, "") in built.ids:
        built.add(US, None, US, "United States", "country", us, sources=["nyt", "jhu"])
    warnings = built.warnings
    if built.unknown:
        warnings.append(f"regions: {len(built.unknown)} the lookup table does not know, or knows without an iso2 "
                        f"code, load with an id made of their name and no population: {_shown(built.unknown)}")
    return Catalogue(sorted(built.regions, key=lambda r: r["id"]), built.ids, warnings)


class _Builder:
    """The regions as they are added, each id taken once."""

    def __init__(self, iso2_uses: Counter[str]) -> None:
        self.iso2_uses = iso2_uses
        self.regions: list[Region] = []
        self.taken: set[str] = set()
        self.ids: dict[tuple[str, str], str] = {}
        self.unknown: list[str] = []
        self.warnings: list[str] = []

    def province(self, country: str, province: str, cid: str, row: Known | None) -> None:
        """A Province/State row: the lookup's iso2 when no other row has it (HK), else country-slug."""
        if row is None:
            self.unknown.append(f"{country}/{province}")
        own = row is not None and row.iso2 and self.iso2_uses[row.iso2] == 1
        self.add(country, province, row.iso2 if own and row else f"{cid}-{slug(province)}", province, "province", row)

    def add(self, country: str, province: str | None, rid: str, name: str, level: Level, known: Known | None,
            members: list[str] | None = None, population: int | None = None,
            sources: list[str] | None = None) -> None:
        """One region; `province` None for a total (no row of its own); `population` a total's."""
        if rid in self.taken:  # a lookup giving two countries one iso2: the later one's name is added, stably
            new = f"{rid}-{slug(province or name)}"
            self.warnings.append(f"regions: id {rid} taken twice; {name} gets {new}")
            rid = new
        self.taken.add(rid)
        self.regions.append(Region(
            id=rid, name=name, country=country, province=province if level == "province" else None, level=level,
            population=population if members else known.population if known else None,
            iso2=(known.iso2 or None) if known else None, iso3=(known.iso3 or None) if known else None,
            uid=known.uid if known else None, sources=[*(sources or ["jhu"]), *(["lookup"] if known else [])],
            members=members or []))
        if province is not None:
            self.ids[(country, province)] = rid


def _shown(values: list[str]) -> str:
    more = f" and {len(values) - SHOW} more" if len(values) > SHOW else ""
    return ", ".join(values[:SHOW]) + more
