"""Every region through the real DynamoStore: items written in the documented layout (docs/regions.md)
on moto's server over HTTP, read back through the app."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from flask.testing import FlaskClient

from services.api.app import create_app
from services.api.store import DynamoStore
from shared.daily import ROW_FIELDS, DailyRow
from shared.dynamo import Table
from shared.layout import LOAD_PK, META_PK, revision_pk, series_pk
from tests.api.fakes import series

TABLE = "api-regions-integration"
T1, T2 = "2021-01-10T06:00:00.000+00:00", "2021-01-11T06:00:00.000+00:00"
RUN1, RUN2 = "20210110T060000Z-a", "20210111T060000Z-b"
POPULATION = {"US": 331_000_000, "FR": 300_000, "CA-ontario": 14_000_000, "diamond-princess": None}


@pytest.fixture
def table(aws_env: Any) -> tuple[Table, list[str]]:
    """A fresh table, written as two loads would leave it: run 1 loads four regions for 10 days; run 2
    adds a day to each and revises FR's 2020-03-05 (its old value moves to `revision#FR`)."""
    kwargs = {"endpoint_url": aws_env.endpoint, "region_name": "us-east-1"}
    client = boto3.client("dynamodb", **kwargs)
    if TABLE in client.list_tables()["TableNames"]:
        client.delete_table(TableName=TABLE)
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    writer = Table(TABLE, client)
    for region in POPULATION:
        for row in series(11):
            run, at = (RUN2, T2) if row["date"] == "2020-03-11" else (RUN1, T1)
            if region == "FR" and row["date"] == "2020-03-05":
                writer.put({"pk": revision_pk(region), "sk": f"{row['date']}#{T1}", **row, "run_id": RUN1,
                            "loaded_at": T1, "superseded_at": T2, "superseded_by": RUN2})
                row, run, at = {**row, "cases": 151}, RUN2, T2
            writer.put(item(region, row, run, at))
    writer.put({"pk": META_PK, "sk": "regions", "regions": {
        rid: {"name": rid.title(), "country": rid, "province": None, "level": "country", "population": pop,
              "iso2": None, "iso3": None, "uid": None, "first_date": "2020-03-01", "last_date": "2020-03-11",
              "sources": ["jhu"], "rows": 11} for rid, pop in POPULATION.items()}})
    for run, at, sha in ((RUN1, T1, "sha-1"), (RUN2, T2, "sha-2")):
        writer.put({"pk": LOAD_PK, "sk": run, "loaded_at": at, "sources": {"jhu": sha, "lookup": "sha-L"},
                    "counts": {"inserted": 4}})
    writer.put({"pk": META_PK, "sk": "dataset", "version": RUN2, "rows_total": 44, "first_date": "2020-03-01",
                "last_date": "2020-03-11", "loaded_at": T2})
    api_client = boto3.client("dynamodb", **kwargs)
    operations: list[str] = []
    api_client.meta.events.register("before-call.dynamodb.*", lambda model, **_: operations.append(model.name))
    return Table(TABLE, api_client), operations


def item(region: str, row: DailyRow, run: str, at: str) -> dict[str, object]:
    return {"pk": series_pk(region), "sk": row["date"], **{k: row[k] for k in ROW_FIELDS},  # type: ignore[literal-required]
            "run_id": run, "first_run": RUN1, "loaded_at": at}


@pytest.fixture
def client(table: tuple[Table, list[str]]) -> FlaskClient:
    return create_app(DynamoStore(TABLE, table[0].client), check_every_s=0).test_client()


def test_regions_and_each_regions_series(client: FlaskClient, table: tuple[Table, list[str]]) -> None:
    regions = client.get("/api/v1/regions").get_json()["data"]
    assert [r["id"] for r in regions] == ["CA-ontario", "diamond-princess", "FR", "US"]  # by name
    assert regions[1]["population"] is None and regions[2]["population"] == 300_000
    fr = client.get("/api/v1/daily?region=FR").get_json()["data"]
    assert len(fr) == 11 and fr[4]["cases"] == 151 and fr[8]["cases_per_100k"] == 20.0
    assert client.get("/api/v1/daily?region=diamond-princess").get_json()["data"][-1]["cases_per_100k"] is None
    assert client.get("/api/v1/daily?region=nowhere").status_code == 404
    assert "Scan" not in table[1]


def test_as_of_and_revisions_from_the_history_items(client: FlaskClient) -> None:
    then = client.get("/api/v1/daily?region=FR&as_of=2021-01-10T12:00:00Z").get_json()["data"]
    assert len(then) == 10 and then[4]["cases"] == 150
    assert client.get("/api/v1/daily?region=FR&as_of=2021-01-09").status_code == 404
    history = client.get("/api/v1/revisions?region=FR&date=2020-03-05").get_json()["data"]
    assert [(h["cases"], h["run_id"], h["sources"]["jhu"], h["current"]) for h in history] == [
        (150, RUN1, "sha-1", False), (151, RUN2, "sha-2", True)]
    other = client.get("/api/v1/revisions?region=FR&date=2020-03-04").get_json()["data"]
    assert [(h["cases"], h["current"]) for h in other] == [(100, True)]


def test_compare_reads_each_region(client: FlaskClient) -> None:
    body = client.get("/api/v1/compare?regions=FR,CA-ontario&from=2020-03-09&to=2020-03-09").get_json()
    assert [(d["region"], d["points"][0]["value"]) for d in body["data"]] == [
        ("FR", 20.0), ("CA-ontario", round(60 * 100_000 / 14_000_000, 2))]
