"""Every region's series (docs/regions.md): each JHU row's series, the national totals of countries with
several rows, and the `US` series joined from NYT and JHU as before.

Pure: the parsed frames and the lookup in, the dataset (format 2) and warnings out. The work is done on
whole columns (one pass over the file's ~115k rows), then cut into each region's rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict, cast

import numpy as np
import pandas as pd

from services.transformer.regions import US, Catalogue, Known, Region, catalogue
from services.transformer.transform import JoinPolicy, to_records, transform
from shared.daily import KEY, ROW, DailyRow

FORMAT = 2
FIELDS = [f.name for f in ROW if f.name != KEY]
NULLABLE = {f.name for f in ROW if f.nullable}
NAMES = ("date", "country", "province")
SHOW = 5


class Dataset(TypedDict):
    """The transformer's S3 body (format 2), as JSON parses it."""

    format: int
    regions: list[Region]
    series: dict[str, list[DailyRow]]


class _Series(TypedDict):
    dates: np.ndarray  # date codes, ascending
    values: dict[str, np.ndarray]  # int64, or float64 with NaN for null


@dataclass(frozen=True)
class World:
    """Every region and its series, kept as columns until written: 118k rows made Python dicts and
    then `json.dumps`'d cost ~0.4 s, written from the columns ~0.1 s (docs/decisions.md)."""

    regions: list[Region]
    series: dict[str, _Series]  # the JHU series and the totals
    dates: np.ndarray  # each date code's ISO string
    us: list[DailyRow]  # the joined `US` series

    @property
    def rows(self) -> int:
        return len(self.us) + sum(len(s["dates"]) for s in self.series.values())

    def span(self) -> tuple[str | None, str | None]:
        """The first and the last date over every region."""
        ends = [(self.dates[s["dates"][0]], self.dates[s["dates"][-1]]) for s in self.series.values()
                if len(s["dates"])]
        if self.us:
            ends.append((self.us[0]["date"], self.us[-1]["date"]))
        return (min(e[0] for e in ends), max(e[1] for e in ends)) if ends else (None, None)

    def to_json(self) -> bytes:
        """The body: `{"format": 2, "regions": [...], "series": {id: [row, ...]}}`, ids sorted."""
        texts = {rid: _row_texts(self.dates[s["dates"]], s["values"]) for rid, s in self.series.items()}
        texts[US] = json.dumps(self.us, separators=(",", ":"))[1:-1]
        series = ",".join(f"{json.dumps(rid)}:[{texts[rid]}]" for rid in sorted(texts))
        regions = json.dumps(self.regions, separators=(",", ":"))
        return f'{{"format":{FORMAT},"regions":{regions},"series":{{{series}}}}}'.encode()

    def dataset(self) -> Dataset:
        """The body as a reader parses it."""
        return cast(Dataset, json.loads(self.to_json()))


def world(frames: Mapping[str, pd.DataFrame], lookup: dict[tuple[str, str], Known],
          policy: JoinPolicy = "inner") -> tuple[World, list[str]]:
    """Every region's series: `frames` as parsed (`jhu`: every row, `nyt`), `lookup` by (country,
    province) (`regions.known_rows`)."""
    jhu = _named(frames["jhu"])
    joined, warnings = transform(frames, policy)
    regions = catalogue(_pairs(jhu), lookup)
    series, more = region_series(jhu, regions)
    dates = np.asarray(jhu["date"].cat.categories.astype(str), dtype=object)
    return World(regions.regions, series, dates, to_records(joined)), warnings + regions.warnings + more


def _named(jhu: pd.DataFrame) -> pd.DataFrame:
    """The names and dates as sorted categories (`parse_jhu` gives them so; a hand-made frame may not)."""
    out = jhu.copy(deep=False)
    for c in NAMES:
        column = out[c] if isinstance(out[c].dtype, pd.CategoricalDtype) else out[c].astype("category")
        out[c] = column.cat.reorder_categories(sorted(column.cat.categories))
    return out


def _pairs(jhu: pd.DataFrame) -> list[tuple[str, str]]:
    """The file's distinct (country, province), from the codes: a row at a time costs ~0.2 s."""
    countries, provinces = (jhu[c].cat.categories.astype(str) for c in NAMES[1:])
    pairs = np.unique(jhu["country"].cat.codes.to_numpy(np.int64) * len(provinces) + jhu["province"].cat.codes)
    return [(countries[p // len(provinces)], provinces[p % len(provinces)]) for p in pairs.tolist()]


def region_series(jhu: pd.DataFrame, regions: Catalogue) -> tuple[dict[str, _Series], list[str]]:
    """Each file series' rows and each total's, by region id (`jhu`: `_named`)."""
    codes = [jhu[c].cat.codes.to_numpy() for c in NAMES]
    order = np.lexsort([codes[0], codes[2], codes[1]])  # country, province, date
    if np.array_equal(order, np.arange(len(order))):  # as `parse_jhu` leaves it: no copy of the rows
        frame, country, province, day = jhu, codes[1], codes[2], codes[0]
    else:
        frame = jhu.take(order)
        country, province, day = codes[1][order], codes[2][order], codes[0][order]
    starts = np.flatnonzero(np.diff(country, prepend=-1) | np.diff(province, prepend=-1))
    values = {name: _reported(frame[name], starts) if name in NULLABLE else frame[name].to_numpy(dtype=np.int64)
              for name in FIELDS}
    names = [jhu[c].cat.categories.astype(str) for c in NAMES[1:]]
    found: dict[str, _Series] = {}
    bounds = [*starts.tolist(), len(frame)]
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        rid = regions.ids[(names[0][country[start]], names[1][province[start]])]
        found[rid] = _Series(dates=day[start:end], values={n: v[start:end] for n, v in values.items()})
    warnings = []
    for total in (r for r in regions.regions if r["members"]):
        found[total["id"]], dropped = _total([found[m] for m in total["members"]], len(names_of(jhu)))
        if len(dropped):
            shown = ", ".join(names_of(jhu)[dropped[:SHOW]])
            warnings.append(f"jhu: {total['name']}'s total leaves out {len(dropped)} date(s) that not all its "
                            f"{len(total['members'])} rows have: {shown}")
    return found, warnings


def names_of(jhu: pd.DataFrame) -> pd.Index:
    """The dates (the date column's categories, ascending)."""
    return jhu["date"].cat.categories.astype(str)


def _total(members: list[_Series], days: int) -> tuple[_Series, np.ndarray]:
    """The members' sum on each date they all have; a nullable field is null where any member's is.
    Returns the total and the date codes left out."""
    dates = np.concatenate([m["dates"] for m in members])
    present = np.bincount(dates, minlength=days)
    kept = np.flatnonzero(present == len(members))
    values = {}
    for name in FIELDS:
        cells = np.concatenate([m["values"][name] for m in members])
        if name in NULLABLE:
            unknown = np.bincount(dates, weights=np.isnan(cells), minlength=days)[kept] > 0
            summed = np.bincount(dates, weights=np.nan_to_num(cells), minlength=days)[kept]
            values[name] = np.where(unknown, np.nan, summed)
        else:  # exact: float64 holds integers to 2**53
            values[name] = np.bincount(dates, weights=cells, minlength=days)[kept].astype(np.int64)
    return _Series(dates=kept, values=values), np.flatnonzero((present > 0) & (present < len(members)))


def _reported(column: pd.Series, starts: np.ndarray) -> np.ndarray:
    """A nullable count as floats, NaN where unknown: empty, or a 0 after the series was once positive
    (JHU writes 0 once it stops reporting, as for the US recoveries since 2020-12-14)."""
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    positive = np.cumsum(values > 0)
    before = np.repeat(np.concatenate(([0], positive))[starts], np.diff([*starts.tolist(), len(values)]))
    seen = positive - before > 0
    return np.where(seen & (values == 0), np.nan, values)


_ROW = "{" + ",".join([f'"{KEY}":"%s"', *(f'"{n}":%s' for n in FIELDS)]) + "}"  # ISO dates need no escaping


def _row_texts(dates: np.ndarray, values: Mapping[str, np.ndarray]) -> str:
    """The rows as JSON objects, comma-separated: each field by the declaration's name, null for NaN."""
    columns = [dates.tolist(), *(_texts(values[n]) for n in FIELDS)]
    return ",".join([_ROW % row for row in zip(*columns, strict=True)])


def _texts(values: np.ndarray) -> list[str] | list[int]:
    """Ints as they are (`%s` writes them as JSON does), NaN as null."""
    if values.dtype.kind == "f":
        return ["null" if v != v else str(int(v)) for v in values.tolist()]
    return cast(list[int], values.tolist())
