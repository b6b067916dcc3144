"""The same stack on LocalStack (host process, no Docker): `covid-etl up` uses the emulator that
AWS_ENDPOINT_URL names instead of starting one, and `replay --dlq` moves dead letters with SQS's
own StartMessageMoveTask, which moto lacks. DynamoDB is AWS's DynamoDB Local beside it (as in
docker-compose.yml), so the table's definition and its conditional writes are validated as AWS does.

The servers are the session's (conftest.py); skipped, with the reason, where they cannot run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from support import fixtures
from support.reference import reference
from support.sources import SourceServer

from tests.localstack.harness import OLD_DYNAMODB_LOCAL, Server, SplitStack


def test_pipeline_and_dlq_replay_on_localstack(localstack: Server, dynamodb_local: Server, tmp_path: Path) -> None:
    old, new = fixtures.old_pair(), fixtures.new_pair()
    with SourceServer(tmp_path / "sources") as sources:
        sources.put_pair(old)
        with SplitStack.up(tmp_path / "stack", sources.url("nyt.csv"), sources.url("jhu.csv"),
                           COVID_ETL_PREFIX="ls-up", AWS_ENDPOINT_URL=localstack.endpoint,
                           AWS_ENDPOINT_URL_DYNAMODB=dynamodb_local.endpoint, **OLD_DYNAMODB_LOCAL) as stack:
            assert f"using the emulator at {localstack.endpoint}" in (stack.folder / "up.log").read_text()
            assert stack.first_run()["status"] == "succeeded", stack.logs()
            assert stack.table() == reference(old)
            sources.put_pair(new)
            second = stack.run()
            assert second["status"] == "succeeded" and stack.table()[-1] == reference(new)[-1]

            # A dead letter: the archived loader message of the second run, put into the loader's DLQ.
            sqs, s3 = stack.client("sqs"), stack.client("s3")
            bucket = stack.setting("COVID_ETL_BUCKET")
            prefix = f"archive/{second['run_id']}/loader/"
            key = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"][0]["Key"]
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            sqs.send_message(QueueUrl=stack.setting("COVID_ETL_LOADER_DLQ_URL"), MessageBody=body)
            before = stack.table()

            done = stack.cli("replay", "--dlq", "load")
            assert done.returncode == 0, done.stderr
            summary = json.loads(done.stdout.strip().splitlines()[-1])
            assert summary == {"stage": "load", "dry_run": False, "messages": 1, "moved": 1,
                               "method": "StartMessageMoveTask"}, done.stderr
            # The replayed message was handled already: it changes nothing.
            time.sleep(3)
            assert stack.table() == before
            attributes = sqs.get_queue_attributes(QueueUrl=stack.setting("COVID_ETL_LOADER_DLQ_URL"),
                                                  AttributeNames=["ApproximateNumberOfMessages"])
            assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
