"""The transformer's dataset as the loader reads it: format 2 (every region) or format 1 (the US series).

docs/regions.md gives the body. Format 1 (`{"records": [...]}`) is still read while a deploy rolls
out: it is the series of the default region `US`, described as the catalogue knew it (or by default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.daily import DailyRow
from shared.layout import US

Region = dict[str, Any]  # a catalogue entry: name, country, province, level, population, iso2, ... (no id)

# The default region as a format-1 body describes it (a format-2 body describes it itself)
US_REGION: Region = {"name": "United States", "country": "US", "province": None, "level": "country",
                     "population": None, "iso2": "US", "iso3": "USA", "uid": 840, "sources": ["nyt", "jhu"],
                     "members": []}


@dataclass(frozen=True)
class Dataset:
    """Each region's description (without its id) and its rows, by region id. `described`: False for a
    format-1 body, whose description of `US` is a default that the catalogue's own entry overrides."""

    regions: dict[str, Region]
    series: dict[str, list[DailyRow]]
    described: bool = True


def parse(body: bytes) -> Dataset:
    """The dataset in `body`; ValueError for a body of neither format (retrying cannot fix it)."""
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("the dataset is not a JSON object")
    if data.get("format") == 2:
        regions = {str(r["id"]): {k: v for k, v in r.items() if k != "id"} for r in data["regions"]}
        series = {str(k): list(v) for k, v in data["series"].items()}
        missing = sorted(set(series) - set(regions))
        if missing:
            raise ValueError(f"the dataset has series without a region: {', '.join(missing[:5])}")
        return Dataset(regions, series)
    if "records" in data and data.get("format", 1) == 1:
        return Dataset({US: dict(US_REGION)}, {US: list(data["records"])}, described=False)
    raise ValueError(f"unknown dataset format {data.get('format')!r}")
