"""The bulk baseline for every region: one process, pandas, BatchWriteItem, nothing else.

The yardstick of issue 18's scale targets (`bench.world`): download both files, make every region's
rows as docs/regions.md counts them (each Country/Region, Province/State series of the JHU file; a
national total for each country with several rows, `null` recovered where any of its rows' is; the
US series, NYT joined with JHU's US recovered), and write every row with `BatchWriteItem`, 25 items
per request, one request after another, into a fresh table of the product's key schema
(`pk` = `series#<id>`, `sk` = the date) on the same emulator. No diff, no fence, no ledger, no
revisions: what a full rewrite costs at least. It shares no code with the product on purpose: ids here
are slugs of the names (not the lookup's codes), which changes no item count and a byte or two of size.
"""

from __future__ import annotations

import io
import re
import time
import urllib.request
import uuid
from typing import Any

import boto3
import pandas as pd

BATCH = 25


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def region_rows(jhu_csv: bytes, nyt_csv: bytes) -> pd.DataFrame:
    """`id, date, cases, deaths, recovered` for every region (recovered nullable: NaN is unknown)."""
    jhu = pd.read_csv(io.BytesIO(jhu_csv), usecols=["Date", "Country/Region", "Province/State", "Confirmed",
                                                     "Recovered", "Deaths"], keep_default_na=False,
                      na_values={"Recovered": [""]})
    jhu = jhu.rename(columns={"Date": "date", "Country/Region": "country", "Province/State": "province",
                              "Confirmed": "cases", "Deaths": "deaths", "Recovered": "recovered"})
    jhu["id"] = jhu["country"].map(slug) + jhu["province"].map(lambda p: f"-{slug(p)}" if p else "")
    jhu = jhu.sort_values(["id", "date"], kind="stable")
    stopped = (jhu["recovered"] == 0) & (jhu.groupby("id")["recovered"].cummax() > 0)
    jhu.loc[stopped, "recovered"] = float("nan")  # JHU writes 0 once it stops reporting: unknown
    several = jhu.groupby("country")["province"].transform("nunique") > 1
    grouped = jhu[several].groupby(["country", "date"], sort=False)
    totals = grouped[["cases", "deaths"]].sum()
    totals["recovered"] = grouped["recovered"].sum(min_count=1).where(grouped["recovered"].count()
                                                                      == grouped.size())
    totals = totals.reset_index()
    totals["id"] = totals["country"].map(slug) + "-total"
    nyt = pd.read_csv(io.BytesIO(nyt_csv))
    us_jhu = jhu[jhu["id"] == "us"][["date", "recovered"]]
    us = nyt.merge(us_jhu, on="date").assign(id="US")
    columns = ["id", "date", "cases", "deaths", "recovered"]
    return pd.concat([jhu[columns], totals[columns], us[columns]], ignore_index=True)


def items(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows in DynamoDB's wire form (no per-item serializer in the loop)."""
    out = []
    for rid, day, cases, deaths, recovered in rows.itertuples(index=False, name=None):
        out.append({"pk": {"S": f"series#{rid}"}, "sk": {"S": day}, "cases": {"N": str(int(cases))},
                    "deaths": {"N": str(int(deaths))},
                    "recovered": {"NULL": True} if recovered != recovered else {"N": str(int(recovered))}})
    return out


class WorldBaseline:
    def __init__(self, endpoint: str, nyt_url: str, jhu_url: str) -> None:
        self.client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.nyt_url, self.jhu_url = nyt_url, jhu_url

    def fresh_table(self) -> str:
        name = f"bench-world-{uuid.uuid4().hex[:8]}"
        self.client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                 KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                            {"AttributeName": "sk", "KeyType": "RANGE"}],
                                 AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                       {"AttributeName": "sk", "AttributeType": "S"}])
        return name

    def run(self, table: str) -> dict[str, Any]:
        """Download, parse, write every row into `table`; its time in seconds and its counts."""
        t0 = time.perf_counter()
        rows = region_rows(_download(self.jhu_url), _download(self.nyt_url))
        parsed = time.perf_counter() - t0
        wire, requests = items(rows), 0
        for start in range(0, len(wire), BATCH):
            pending = {table: [{"PutRequest": {"Item": item}} for item in wire[start:start + BATCH]]}
            while pending:
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
                requests += 1
        return {"seconds": time.perf_counter() - t0, "parse_seconds": parsed, "written": len(wire),
                "regions": int(rows["id"].nunique()), "requests": requests}


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()
