"""Several regions and their revisions in the browser tier's table, in the layout of docs/regions.md.

The stack's pipeline (main's transformer and loader) loads the US series alone; the branches that
load every region and keep revisions are built at the same time as the dashboard. Until they land,
this writes what they will write for a few regions, computed here with the `csv` module from the
same two JHU files the stack's runs read: the older file as the first load (its run id and instant),
the newer one as the later load, each value the newer file changed kept as a `revision#` item. The
US series the real loader wrote gets the `revision#` items of the dates its second run changed, and
the catalogue (`meta/regions`) and the two `load/<run_id>` items are written as the loader would.

`seed()` is pure (file text in, items out); `write()` puts the items in the table. The tier seeds only
when the runs left no catalogue (`meta/regions`): with the every-region loader, the tests read what
the real pipeline wrote, with the same region ids.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Values = tuple[int, int, int | None]  # cases, deaths, recovered (None: unknown)


@dataclass(frozen=True)
class Spec:
    """A region the seed writes: which rows of the JHU file it sums, and its catalogue entry."""

    id: str
    name: str
    country: str
    province: str | None
    level: str
    rows: Callable[[str, str], bool]  # (Country/Region, Province/State) -> is one of its rows
    population: Callable[[str, str], bool]  # a lookup row (country, province) counted in its population


def _row(country: str, province: str = "") -> Callable[[str, str], bool]:
    return lambda c, p: (c, p) == (country, province)


def _all(country: str) -> Callable[[str, str], bool]:
    return lambda c, p: c == country


# Present in both the real snapshots and the fixture pairs (tests/support/fixtures.py), France only
# in the real ones: a country with one row, a total of provinces, provinces, a mainland, JHU's US row.
SPECS = (
    Spec("US-JHU", "US (Johns Hopkins)", "US", None, "country", _row("US"), _row("US")),
    Spec("DE", "Germany", "Germany", None, "country", _row("Germany"), _row("Germany")),
    Spec("CA", "Canada", "Canada", None, "country", _all("Canada"), _row("Canada")),
    Spec("CA-ontario", "Ontario", "Canada", "Ontario", "province",
         _row("Canada", "Ontario"), _row("Canada", "Ontario")),
    Spec("CA-quebec", "Quebec", "Canada", "Quebec", "province", _row("Canada", "Quebec"), _row("Canada", "Quebec")),
    Spec("FR", "France", "France", None, "country", _all("France"), _all("France")),
    Spec("FR-mainland", "France (mainland)", "France", None, "mainland", _row("France"), _row("France")),
)


def _series(rows: list[dict[str, str]]) -> dict[str, Values]:
    """One JHU row's values by date: an empty Recovered, or a 0 once it was positive, is unknown."""
    out: dict[str, Values] = {}
    seen_positive = False
    for row in sorted(rows, key=lambda r: r["Date"]):
        cell = row["Recovered"].strip()
        recovered = int(float(cell)) if cell else None
        if recovered == 0 and seen_positive:
            recovered = None
        seen_positive = seen_positive or bool(recovered)
        out[row["Date"]] = (int(float(row["Confirmed"])), int(float(row["Deaths"])), recovered)
    return out


def _total(parts: list[dict[str, Values]]) -> dict[str, Values]:
    """The sum of rows on each date; unknown where any row is (cases and deaths are never unknown)."""
    dates = sorted(set().union(*parts))
    out: dict[str, Values] = {}
    for day in dates:
        values = [p[day] for p in parts if day in p]
        recovered = None if any(v[2] is None for v in values) else sum(v[2] or 0 for v in values)
        out[day] = (sum(v[0] for v in values), sum(v[1] for v in values), recovered)
    return out


def regions(jhu_text: str) -> dict[str, dict[str, Values]]:
    """Each seeded region's values by date, from a JHU combined file (either layout)."""
    by_row: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(jhu_text)):
        by_row[(row["Country/Region"].strip(), row["Province/State"].strip())].append(row)
    out = {}
    for spec in SPECS:
        parts = [_series(rows) for key, rows in by_row.items() if spec.rows(*key)]
        if parts:
            out[spec.id] = _total(parts) if len(parts) > 1 else parts[0]
    return out


def populations(lookup_text: str) -> dict[str, int | None]:
    """Each spec's population from the lookup's rows without Admin2 (None when it knows none of them)."""
    rows = [r for r in csv.DictReader(io.StringIO(lookup_text)) if not r["Admin2"].strip()]
    out: dict[str, int | None] = {}
    for spec in SPECS:
        known = [int(r["Population"]) for r in rows
                 if spec.population(r["Country_Region"].strip(), r["Province_State"].strip()) and r["Population"]]
        out[spec.id] = sum(known) if known else None
    return out


@dataclass(frozen=True)
class Load:
    run_id: str
    loaded_at: str
    sources: dict[str, str]  # name -> sha256


@dataclass
class Items:
    """What the seed writes, by kind (each an item of the table)."""

    series: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)

    def all(self) -> list[dict[str, Any]]:
        return [*self.series, *self.revisions, *self.other]


def _values(values: Values) -> dict[str, int]:
    fields = dict(zip(("cases", "deaths", "recovered"), values, strict=True))
    return {k: v for k, v in fields.items() if v is not None}  # a null field is left out, as the loader does


def revision(region: str, day: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The `revision#` item of a value `old` (with its run_id, loaded_at) that `new` replaced."""
    return {"pk": f"revision#{region}", "sk": f"{day}#{old['loaded_at']}", "date": day,
            **{k: old[k] for k in ("cases", "deaths", "recovered") if old.get(k) is not None},
            "run_id": old["run_id"], "loaded_at": old["loaded_at"],
            "superseded_at": new["loaded_at"], "superseded_by": new["run_id"]}


def two_loads(region: str, old: dict[str, Values], new: dict[str, Values], first: Load, second: Load) -> Items:
    """A region's items after loading `old` in `first`, then `new` in `second`."""
    items = Items()
    for day in sorted({*old, *new}):
        was, now = old.get(day), new.get(day, old.get(day))
        assert now is not None
        if was == now or day not in new:
            load, first_run = first, first.run_id
        else:
            load, first_run = second, (first if was is not None else second).run_id
        item = {"pk": f"series#{region}", "sk": day, "date": day, **_values(now), "run_id": load.run_id,
                "first_run": first_run, "loaded_at": load.loaded_at}
        items.series.append(item)
        if was is not None and was != now:
            before = {**_values(was), "run_id": first.run_id, "loaded_at": first.loaded_at}
            items.revisions.append(revision(region, day, before, item))
    return items


def entry(spec: Spec, days: Iterable[str], population: int | None, sources: list[str]) -> dict[str, Any]:
    """A region's entry in the catalogue (`meta/regions`)."""
    dates = sorted(days)
    return {"name": spec.name, "country": spec.country, "province": spec.province, "level": spec.level,
            "population": population, "first_date": dates[0], "last_date": dates[-1],
            "sources": [*sources, *(["lookup"] if population is not None else [])], "rows": len(dates)}


US = Spec("US", "United States", "US", None, "country", _row("US"), _row("US"))


def us_revisions(before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The `revision#US` items of the dates whose values the real loader's later run changed (items
    written before issue 18 keep their load instant in `updated_at`)."""
    stamped = lambda i: {**i, "loaded_at": i.get("loaded_at") or i["updated_at"]}  # noqa: E731
    old = {i["sk"]: stamped(i) for i in before}
    return [revision("US", i["sk"], old[i["sk"]], stamped(i)) for i in after
            if i["sk"] in old and any(old[i["sk"]].get(k) != i.get(k) for k in ("cases", "deaths", "recovered"))]


def seed(jhu: tuple[str, str], lookup: str, loads: tuple[Load, Load],
         us: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> Items:
    """Every item: the regions of the older and newer JHU files loaded in `loads`, the US series'
    revisions (`us`: its items after the first and after the last run), the catalogue and the loads."""
    old, new = regions(jhu[0]), regions(jhu[1])
    people = populations(lookup)
    specs = {s.id: s for s in SPECS}
    items = Items()
    entries = {}
    for region, values in new.items():
        got = two_loads(region, old.get(region, {}), values, *loads)
        items.series += got.series
        items.revisions += got.revisions
        entries[region] = entry(specs[region], values, people[region], ["jhu"])
    items.revisions += us_revisions(*us)
    entries["US"] = entry(US, [i["sk"] for i in us[1]], people["US-JHU"], ["nyt", "jhu"])
    items.other = [{"pk": "meta", "sk": "regions", "regions": entries}, *map(load_item, loads)]
    return items


def sha256(content: bytes | str) -> str:
    return hashlib.sha256(content.encode() if isinstance(content, str) else content).hexdigest()


def load_item(load: Load) -> dict[str, Any]:
    return {"pk": "load", "sk": load.run_id, "run_id": load.run_id, "loaded_at": load.loaded_at,
            "sources": load.sources}


def write(table: Any, items: Iterable[dict[str, Any]]) -> None:
    """Put every item (boto3's Table resource; BatchWriteItem, 25 at a time)."""
    with table.batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
