"""The single-process peer: the job done the way the published solutions to the challenge do it.

One warm process (a warm Lambda): download both files in full, read them with pandas, keep the
US national JHU rows, join by date, compare with the previous run's joined file (kept in S3),
batch-write the rows that differ, keep the new file, publish one SNS message. No queues, no
ledger, no conditional requests, no idempotency: the yardstick the pipeline's design is priced
against, run against the same emulator and the same source server.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
import uuid
from typing import Any

import boto3
import pandas as pd

PREVIOUS = "previous/joined.csv"


class Baseline:
    def __init__(self, endpoint: str, nyt_url: str, jhu_url: str) -> None:
        name = f"bench-baseline-{uuid.uuid4().hex[:8]}"
        kwargs: dict[str, Any] = {"endpoint_url": endpoint, "region_name": "us-east-1",
                                  "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        self.s3, self.sns = boto3.client("s3", **kwargs), boto3.client("sns", **kwargs)
        self.dynamodb = boto3.resource("dynamodb", **kwargs)
        self.nyt_url, self.jhu_url, self.bucket = nyt_url, jhu_url, name
        self.s3.create_bucket(Bucket=name)
        self.topic = self.sns.create_topic(Name=name)["TopicArn"]
        self.table = self.dynamodb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "date", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "date", "AttributeType": "S"}])

    def empty(self) -> None:
        """Back to an empty table and no previous file, for a full load."""
        with self.table.batch_writer() as batch:
            for item in self.table.scan(ProjectionExpression="#d", ExpressionAttributeNames={"#d": "date"})["Items"]:
                batch.delete_item(Key={"date": item["date"]})
        self.s3.delete_object(Bucket=self.bucket, Key=PREVIOUS)

    def run(self) -> dict[str, Any]:
        """One run; returns its counts and its time in seconds."""
        t0 = time.perf_counter()
        nyt = pd.read_csv(io.BytesIO(_download(self.nyt_url)))
        jhu = pd.read_csv(io.BytesIO(_download(self.jhu_url)))
        jhu = jhu[(jhu["Country/Region"] == "US") & jhu["Province/State"].isna()][["Date", "Recovered"]]
        joined = nyt.merge(jhu.rename(columns={"Date": "date", "Recovered": "recovered"}), on="date")
        joined = joined[["date", "cases", "deaths", "recovered"]].astype({"recovered": "int64"})
        changed = self._changed(joined)
        with self.table.batch_writer() as batch:
            for row in changed.itertuples(index=False):
                batch.put_item(Item={"date": row.date, "cases": int(row.cases), "deaths": int(row.deaths),
                                     "recovered": int(row.recovered)})
        self.s3.put_object(Bucket=self.bucket, Key=PREVIOUS, Body=joined.to_csv(index=False).encode())
        self.sns.publish(TopicArn=self.topic, Subject="COVID-19 data updated",
                         Message=json.dumps({"rows_written": len(changed), "rows_total": len(joined)}))
        return {"written": len(changed), "rows": len(joined), "seconds": time.perf_counter() - t0}

    def _changed(self, joined: pd.DataFrame) -> pd.DataFrame:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=PREVIOUS)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return joined
        previous = pd.read_csv(io.BytesIO(body))
        both = joined.merge(previous, how="left", indicator=True)  # on every column: same row, same values
        return joined[(both["_merge"] == "left_only").to_numpy()]


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()
