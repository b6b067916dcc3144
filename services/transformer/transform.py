"""The pure core: join the NYT and JHU series by date under a join policy.

No boto3, no environment, no sockets: frames in, a frame and warnings out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, cast

import pandas as pd

from shared.daily import KEY, ROW, ROW_FIELDS, DailyRow, from_source

JoinPolicy = Literal["inner", "nyt"]
COLUMNS = list(ROW_FIELDS)
INTEGERS = {f.name: "Int64" for f in ROW if f.kind is int}
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


def us_national(jhu: pd.DataFrame) -> pd.DataFrame:
    """JHU's US national rows (Country/Region 'US', no Province/State): the date and JHU's fields the
    `US` series takes (recovered). A frame without names is taken as these rows already."""
    if "country" in jhu:
        jhu = jhu[(jhu["country"] == "US") & (jhu["province"] == "")]
    return pd.DataFrame({KEY: jhu[KEY].astype(str), **{f.name: jhu[f.name] for f in from_source("jhu")}})


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
    """The `US` series: join the parsed sources by name, `nyt` (date, cases, deaths) with `jhu`'s US
    national rows (date, recovered) on date.

    `inner` keeps the dates present in both sources; `nyt` keeps every NYT date, with recovered
    null where JHU has no value. (`world` builds the other regions.) Returns the rows
    sorted by date, and warnings.
    """
    if policy not in ("inner", "nyt"):
        raise ValueError(f"unknown join policy {policy!r}; use 'inner' or 'nyt'")
    nyt, jhu = frames["nyt"], recovered_reported(us_national(frames["jhu"]))
    how = "inner" if policy == "inner" else "left"
    joined = nyt.merge(jhu, on=KEY, how=how, validate="one_to_one")
    joined = joined.sort_values(KEY, ignore_index=True)[COLUMNS].astype(INTEGERS)
    read = {"nyt": nyt, "jhu": jhu}  # (jhu with its unreported zeros as null)
    warnings = [w for f in ROW if f.column.source for w in decreases(read[f.column.source], f.column.source, f.name)]
    return joined, warnings


def to_records(frame: pd.DataFrame) -> list[DailyRow]:
    """Rows as `DailyRow`s (plain str, int, float and None), for JSON and DynamoDB."""
    # column by column: pandas boxes the values as Python's (Int64's as int) and nulls become None
    columns = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in COLUMNS]
    return cast(list[DailyRow], [dict(zip(COLUMNS, values, strict=True)) for values in zip(*columns, strict=True)])
