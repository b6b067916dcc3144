"""TransactWriteItems on the embedded emulator: what one transaction costs as the table grows.

A table shaped like the pipeline's (pk and sk) is pre-filled with `--items` rows of the series'
shape; then, median of `--runs`, a transaction of 100 puts and one of 5, each of new keys (deleted
again after each run, untimed) and of existing keys (overwritten with the same values). `--moto`
runs moto's server without `covid_etl.local.emulator`'s patch. Not part of `make bench`:

    .venv/bin/python -m bench.transactions [--items 500] [--runs 20] [--moto]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from typing import Any

import boto3

from covid_etl.local.emulator import start_emulator


def row(day: int) -> dict[str, Any]:
    return {"pk": {"S": "series#US"}, "sk": {"S": f"day#{day:05d}"}, "cases": {"N": str(1000 * day)},
            "deaths": {"N": str(10 * day)}, "recovered": {"N": str(100 * day)}, "run_id": {"S": "bench"}}


def timed(client: Any, puts: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    client.transact_write_items(TransactItems=puts)
    return time.perf_counter() - started


def measure(client: Any, table: str, items: int, size: int, runs: int, new: bool) -> float:
    days = range(items, items + size) if new else range(size)
    puts = [{"Put": {"TableName": table, "Item": row(day)}} for day in days]
    took = []
    for _ in range(runs):
        took.append(timed(client, puts))
        if new:  # the table keeps its size
            for i in range(0, size, 25):
                client.batch_write_item(RequestItems={table: [
                    {"DeleteRequest": {"Key": {k: p["Put"]["Item"][k] for k in ("pk", "sk")}}}
                    for p in puts[i:i + 25]]})
    return statistics.median(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--moto", action="store_true", help="moto's own transactions, unpatched")
    args = parser.parse_args()
    if args.moto:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
    else:
        server, endpoint = start_emulator()
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    table = f"bench-{uuid.uuid4().hex[:8]}"
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    for start in range(0, args.items, 25):
        client.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": row(day)}} for day in range(start, min(start + 25, args.items))]})
    try:
        for size in (100, 5):
            for new in (True, False):
                median = measure(client, table, args.items, size, args.runs, new)
                kind = "new keys" if new else "existing keys"
                print(f"{size:3d} puts, {kind:13s}, table of {args.items}: {1000 * median:7.1f} ms "
                      f"(median of {args.runs})")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
