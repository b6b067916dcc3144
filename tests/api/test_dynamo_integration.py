"""The API over a real DynamoDB API: moto's server over HTTP, rows written by the loader's own code."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from flask.testing import FlaskClient

from services.api.app import create_app
from services.api.store import DynamoStore
from services.loader.diff import RowWrite
from services.loader.repository import SeriesRepository
from shared.daily import DailyRow
from shared.ledger import RunLedger, now_iso
from shared.runs import StageRecord
from tests.api.fakes import series

TABLE = "api-integration"


@pytest.fixture
def dynamo(aws_env: Any) -> tuple[Any, list[str], Any]:
    """A fresh table on the emulator, the API's client with a record of every DynamoDB operation it
    makes, and another client for the loader's writer."""
    kwargs = {"endpoint_url": aws_env.endpoint, "region_name": "us-east-1"}
    client = boto3.client("dynamodb", **kwargs)
    if TABLE in client.list_tables()["TableNames"]:
        client.delete_table(TableName=TABLE)
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    api_client = boto3.client("dynamodb", **kwargs)
    operations: list[str] = []
    api_client.meta.events.register("before-call.dynamodb.*", lambda model, **_: operations.append(model.name))
    return api_client, operations, client


def load(client: Any, rows: list[DailyRow], run_id: str) -> None:
    repo = SeriesRepository(TABLE, client)
    with RunLedger(TABLE, client).lock("load", run_id) as fence:
        repo.write([RowWrite(**r) for r in rows], run_id, fence)
        repo.commit_versions([{"name": "nyt", "last_date": rows[-1]["date"], "url": "http://nyt"}],
                             {"version": run_id, "rows_total": len(rows), "first_date": rows[0]["date"],
                              "last_date": rows[-1]["date"]}, fence)


@pytest.fixture
def client(dynamo: tuple[Any, list[str], Any]) -> FlaskClient:
    resource, _, _ = dynamo
    return create_app(DynamoStore(TABLE, resource), check_every_s=0).test_client()


def test_rows_written_by_the_loader_read_through_the_app(client: FlaskClient, dynamo: Any) -> None:
    _, operations, plain_client = dynamo
    rows = series(40, recovered_until=30)
    load(plain_client, rows, "20261128T100000Z-aaaa")
    data = client.get("/api/v1/daily?from=2020-03-31").get_json()["data"]
    assert [d["date"] for d in data] == ["2020-03-31", "2020-04-01", "2020-04-02", "2020-04-03",
                                         "2020-04-04", "2020-04-05", "2020-04-06", "2020-04-07",
                                         "2020-04-08", "2020-04-09"]
    assert data[0]["recovered"] is None and data[0]["new_cases"] == 310
    summary = client.get("/api/v1/summary").get_json()
    assert summary["dataset"]["version"] == "20261128T100000Z-aaaa"
    assert summary["recovered_last_reported"] == "2020-03-30"
    assert "Scan" not in operations and "Query" in operations


def test_a_new_load_is_seen_and_runs_are_listed(client: FlaskClient, dynamo: Any) -> None:
    resource, _, plain_client = dynamo
    load(plain_client, series(10), "20261128T100000Z-aaaa")
    first = client.get("/api/v1/daily")
    load(plain_client, series(12), "20261128T110000Z-bbbb")
    second = client.get("/api/v1/daily", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200 and len(second.get_json()["data"]) == 12
    ledger = RunLedger(TABLE, resource)
    ledger.open("20261128T110000Z-bbbb", "cli", "extract", StageRecord(status="running", started_at=now_iso()))
    ledger.record_stage("20261128T110000Z-bbbb", "extract", StageRecord(status="succeeded", duration_ms=12))
    runs = client.get("/api/v1/runs").get_json()["data"]
    assert runs[0]["run_id"] == "20261128T110000Z-bbbb" and runs[0]["stages"]["extract"]["duration_ms"] == 12
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_when_the_table_is_missing(dynamo: Any) -> None:
    resource = dynamo[0]
    app = create_app(DynamoStore("no-such-table", resource))
    assert app.test_client().get("/readyz").status_code == 503


def test_the_rows_are_read_consistently(dynamo: Any) -> None:
    # an eventually consistent read could return rows older than the version just read, and the cache
    # would serve them as that version until the next load
    api_client, _, plain_client = dynamo
    load(plain_client, series(5), "20261128T100000Z-aaaa")
    reads: list[object] = []
    api_client.meta.events.register("provide-client-params.dynamodb.Query",
                                    lambda params, **_: reads.append(params.get("ConsistentRead")))
    assert len(DynamoStore(TABLE, api_client).daily()) == 5
    assert reads == [True]
