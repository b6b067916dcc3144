"""The pure core: join the NYT and JHU series by date under a join policy.

No boto3, no environment, no sockets: frames in, a frame and warnings out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import pandas as pd

JoinPolicy = Literal["inner", "nyt"]
COLUMNS = ["date", "cases", "deaths", "recovered"]
SHOW = 5


def recovered_reported(jhu: pd.DataFrame) -> pd.DataFrame:
    """Recovered is null where JHU did not report it: a 0 after the series was once positive.

    JHU stopped reporting US recoveries on 2020-12-14 and wrote 0 from then on; an empty cell is
    null already. A 0 before the first positive value is a real zero.
    """
    out = jhu.sort_values("date", ignore_index=True)
    seen_positive = (out["recovered"].fillna(0) > 0).cummax()
    out["recovered"] = out["recovered"].mask(seen_positive & (out["recovered"] == 0))
    return out


def decreases(frame: pd.DataFrame, source: str, column: str) -> list[str]:
    """A warning for each cumulative count that went down (a correction, kept as reported)."""
    series = frame[["date", column]].dropna()
    step = series[column].diff()
    down = series[step < 0]
    if down.empty:
        return []
    shown = [f"{d} ({int(s):+,})" for d, s in zip(down["date"], step[step < 0], strict=True)]
    more = f" and {len(shown) - SHOW} more" if len(shown) > SHOW else ""
    return [f"{source} {column} went down on {len(shown)} date(s), kept as corrections: "
            + ", ".join(shown[:SHOW]) + more]


def transform(frames: Mapping[str, pd.DataFrame], policy: JoinPolicy = "inner") -> tuple[pd.DataFrame, list[str]]:
    """Join the parsed sources by name: `nyt` (date, cases, deaths) with `jhu` (date, recovered) on date.

    `inner` keeps the dates present in both sources; `nyt` keeps every NYT date, with recovered
    null where JHU has no value. Other sources (`lookup`) give the row nothing yet. Returns the rows
    sorted by date, and warnings.
    """
    if policy not in ("inner", "nyt"):
        raise ValueError(f"unknown join policy {policy!r}; use 'inner' or 'nyt'")
    nyt, jhu = frames["nyt"], recovered_reported(frames["jhu"])
    how = "inner" if policy == "inner" else "left"
    joined = nyt.merge(jhu[["date", "recovered"]], on="date", how=how, validate="one_to_one")
    joined = joined.sort_values("date", ignore_index=True)[COLUMNS]
    joined["recovered"] = joined["recovered"].astype("Int64")
    warnings = (decreases(nyt, "nyt", "cases") + decreases(nyt, "nyt", "deaths")
                + decreases(jhu, "jhu", "recovered"))
    return joined, warnings


def to_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as plain dicts with ints and None, for JSON and DynamoDB."""
    records = []
    for date, cases, deaths, recovered in frame[COLUMNS].itertuples(index=False, name=None):
        records.append({"date": str(date), "cases": int(cases), "deaths": int(deaths),
                        "recovered": None if pd.isna(recovered) else int(recovered)})
    return records
