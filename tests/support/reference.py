"""An independent reference of the pipeline's result: plain csv code, no pandas, no product code.

Rules (from the pipeline core issue): NYT gives cases and deaths, JHU the US national series
(Country/Region 'US', empty Province/State) gives recovered; an empty recovered cell is null and so
is a 0 once the series has been positive; the `inner` policy keeps dates present in both sources.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

Row = tuple[str, int, int, int | None]


def _text(source: str | os.PathLike[str]) -> str:
    if isinstance(source, os.PathLike):
        return Path(source).read_text(encoding="utf-8-sig")
    return source.removeprefix("\ufeff")


def read_nyt(source: str | os.PathLike[str]) -> dict[str, tuple[int, int]]:
    reader = csv.DictReader(io.StringIO(_text(source), newline=""))
    return {r["date"]: (int(r["cases"]), int(r["deaths"])) for r in reader}


def read_jhu(source: str | os.PathLike[str]) -> dict[str, int | None]:
    reader = csv.DictReader(io.StringIO(_text(source), newline=""))
    rows = [r for r in reader if r["Country/Region"] == "US" and not r["Province/State"]]
    out: dict[str, int | None] = {}
    positive = False
    for r in sorted(rows, key=lambda r: r["Date"]):
        cell = r["Recovered"].strip()
        n = None if cell == "" else int(float(cell))
        if n is not None and n > 0:
            positive = True
        out[r["Date"]] = None if n is None or (n == 0 and positive) else n
    return out


def reference(pair: tuple[Any, Any], policy: str = "inner") -> list[Row]:
    """The joined rows, sorted by date."""
    nyt, jhu = read_nyt(pair[0]), read_jhu(pair[1])
    dates = sorted(set(nyt) & set(jhu)) if policy == "inner" else sorted(nyt)
    return [(d, nyt[d][0], nyt[d][1], jhu.get(d)) for d in dates]


def table_after(before: list[Row], dataset: list[Row]) -> list[Row]:
    """The table after loading `dataset` over `before`: dates no longer in the sources are kept."""
    rows = {r[0]: r for r in before}
    rows.update({r[0]: r for r in dataset})
    return [rows[d] for d in sorted(rows)]


def load_counts(before: list[Row], dataset: list[Row]) -> dict[str, int]:
    """What loading `dataset` over `before` must report."""
    old = {r[0]: r for r in before}
    inserted = sum(1 for r in dataset if r[0] not in old)
    updated = sum(1 for r in dataset if r[0] in old and old[r[0]] != r)
    return {"inserted": inserted, "updated": updated, "unchanged": len(dataset) - inserted - updated,
            "rows_total": len(table_after(before, dataset))}


Counts = dict[str, tuple[int, int]]  # date: (cases, deaths)


def read_world(source: str | os.PathLike[str]) -> dict[tuple[str, str], Counts]:
    """Every (Country/Region, Province/State) row of a JHU combined file: its cases (Confirmed) and
    deaths by date, as the file has them."""
    out: dict[tuple[str, str], Counts] = {}
    for r in csv.DictReader(io.StringIO(_text(source), newline="")):
        key = (r["Country/Region"].strip(), r["Province/State"].strip())
        out.setdefault(key, {})[r["Date"]] = (int(float(r["Confirmed"])), int(float(r["Deaths"])))
    return out


def region_counts(world: dict[tuple[str, str], Counts], country: str, province: str | None, level: str) -> Counts:
    """What a region served by the API must hold, from its own description: a province or a mainland is
    its row; a country is its row, or the sum of all its rows on the dates every one of them has."""
    if level != "country" or (country, "") in world and sum(1 for c, _ in world if c == country) == 1:
        return world.get((country, province or ""), {})  # ({}: not in this file)
    parts = [cells for (c, _), cells in world.items() if c == country]
    dates = set.intersection(*(set(p) for p in parts))
    return {d: (sum(p[d][0] for p in parts), sum(p[d][1] for p in parts)) for d in dates}
