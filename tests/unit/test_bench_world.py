"""The pieces of `bench.world` that decide its figures: the baseline's rows and the write units."""

from __future__ import annotations

import json
import math

from bench.delay_proxy import Tally
from bench.world_baseline import items, region_rows
from bench.write_units import item_size, units, writes

JHU = b"""Date,Country/Region,Province/State,Confirmed,Recovered,Deaths
2020-01-22,US,,1,0,0
2020-01-23,US,,2,1,0
2020-01-24,US,,3,0,1
2020-01-22,Canada,Ontario,5,1,0
2020-01-23,Canada,Ontario,6,,0
2020-01-24,Canada,Ontario,7,2,0
2020-01-22,Canada,Quebec,1,1,0
2020-01-23,Canada,Quebec,2,1,0
2020-01-24,Canada,Quebec,3,1,1
2020-01-22,Chad,,0,0,0
2020-01-23,Chad,,0,0,0
2020-01-24,Chad,,0,0,0
"""
NYT = b"date,cases,deaths\n2020-01-21,1,0\n2020-01-22,1,0\n2020-01-23,3,0\n2020-01-24,4,0"


def test_the_baseline_writes_every_series_a_total_per_country_with_several_rows_and_the_joined_us() -> None:
    rows = region_rows(JHU, NYT)
    by = {rid: group for rid, group in rows.groupby("id")}
    assert sorted(by) == ["US", "canada-ontario", "canada-quebec", "canada-total", "chad", "us"]
    assert len(rows) == 12 + 3 + 3  # the file's rows, Canada's total, US on the dates both sources have
    total = by["canada-total"].set_index("date")
    assert total.loc["2020-01-24", "cases"] == 10 and total.loc["2020-01-24", "deaths"] == 1
    assert math.isnan(total.loc["2020-01-23", "recovered"])  # one of its rows is unknown that day
    assert total.loc["2020-01-24", "recovered"] == 3
    us = by["us"].set_index("date")["recovered"]
    assert math.isnan(us["2020-01-24"]) and us["2020-01-22"] == 0  # 0 after a positive: stopped reporting
    assert by["US"]["cases"].tolist() == [1, 3, 4]


def test_the_baseline_items_are_in_the_products_key_schema_with_null_for_unknown() -> None:
    wire = items(region_rows(JHU, NYT))
    ontario = [i for i in wire if i["pk"]["S"] == "series#canada-ontario"]
    assert [i["sk"]["S"] for i in ontario] == ["2020-01-22", "2020-01-23", "2020-01-24"]
    assert ontario[1]["recovered"] == {"NULL": True} and ontario[2]["recovered"] == {"N": "2"}


def test_write_units_price_items_by_size_and_transactions_twice() -> None:
    small = {"pk": {"S": "series#US"}, "sk": {"S": "2020-01-22"}, "cases": {"N": "29569140"}}
    assert item_size(small) == 2 + 9 + 2 + 10 + 5 + 5  # names + values; 8 digits: 4 bytes + 1
    big = {**small, "blob": {"S": "x" * 3000}}
    assert units(item_size(big)) == 3
    batch = {"RequestItems": {"t": [{"PutRequest": {"Item": small}}, {"PutRequest": {"Item": big}},
                                    {"DeleteRequest": {"Key": {"pk": {"S": "meta"}, "sk": {"S": "x"}}}}]}}
    assert [(w.partition, w.units) for w in writes("DynamoDB_20120810.BatchWriteItem", batch)] == [
        ("series", 1), ("series", 3), ("meta", 1)]
    tx = {"TransactItems": [{"Put": {"TableName": "t", "Item": small}},
                            {"Update": {"TableName": "t", "Key": {"pk": {"S": "run"}, "sk": {"S": "r1"}},
                                        "ExpressionAttributeValues": {":s": {"S": "done"}}}},
                            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "lock#load"}}}}]}
    assert [(w.partition, w.units) for w in writes("DynamoDB_20120810.TransactWriteItems", tx)] == [
        ("series", 2), ("run", 2), ("lock", 2)]
    assert writes("DynamoDB_20120810.Query", {"TableName": "t"}) == []


def test_the_proxys_tally_counts_items_and_units_per_table_and_partition_and_resets() -> None:
    tally = Tally()
    body = {"RequestItems": {"t": [{"PutRequest": {"Item": {"pk": {"S": f"series#{i}"}}}} for i in range(25)]}}
    tally.add("DynamoDB_20120810.BatchWriteItem", json.dumps(body).encode())
    tally.add("POST sqs", b"Action=ReceiveMessage")
    seen = tally.snapshot(reset=True)
    assert seen["items"] == {"t series": 25} and seen["units"] == {"t series": 25}
    assert seen["requests"] == {"DynamoDB_20120810.BatchWriteItem": 1, "POST sqs": 1}
    assert tally.snapshot(reset=False)["items"] == {}


def world_row(profile: str, what: str, run_s: float, changed: int, written: int | None) -> dict[str, object]:
    writes = None if written is None else {"items": {"series": written}, "units": {"series": 2 * written},
                                           "wcu": 2 * written, "requests": {"DynamoDB_20120810.Query": 3}}
    return {"profile": profile, "what": what, "pipeline": {"run": run_s, "load": run_s / 2},
            "counts": {"inserted": 1, "updated": 0, "rows_total": 420,
                       "all": {"inserted": changed, "updated": 0, "rows_total": 1000}},
            "writes": writes, "baseline": {"seconds": 100.0, "written": 1000, "regions": 3, "requests": 40},
            "baseline_writes": {"items": {"series": 1000}, "units": {"series": 1000}, "wcu": 1000, "requests": {}},
            "transformer_mb": 250.0, "load": 1.0,
            "api": {"regions": 3, "path": "/api/v1/daily?region=", "rps": 900.0, "p99_ms": 60.0, "requests": 9000,
                    "non_2xx": 0, "socket_errors": 0, "answer": 200}}


def test_the_report_says_met_or_missed_per_target_from_the_figures() -> None:
    from bench.world_report import section

    rows = [world_row("loopback", "(a) full load", 150.0, 1000, None),
            world_row("loopback", "(b) one-day update", 5.0, 3, None),
            world_row("aws", "(a) full load", 250.0, 1000, 1000),
            world_row("aws", "(b) one-day update", 20.0, 3, 5)]
    text = section({"meta": {"measured": "now", "machine": "m", "commit": "abc"}, "rows": rows})
    lines = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| (")}
    assert lines["| (a) full load, pipeline / baseline's full write"].endswith("**missed** |")  # 2.5x on AWS
    assert lines["| (b) one-day update, pipeline / baseline's full rewrite"].endswith("**missed** |")  # 0.2x
    assert "| 1.67 | **missed** |" in lines["| (b) series items the update wrote / rows it inserted or updated"]
    assert lines["| (c) transformer's peak RSS on the full file (VmHWM), MB"].endswith("met |")
    assert lines["| (d) `GET /api/v1/daily?region=` p99 at 64 connections, ms"].endswith("**missed** |")
    assert "it loads every region" in text
