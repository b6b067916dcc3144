"""A worker warms its AWS clients before its first poll, and never waits long for it."""

from __future__ import annotations

import gc
import threading

import pytest

from shared import aws
from shared.runtime import warm


def test_the_clients_are_built_and_used_once_against_the_emulator(provisioned: dict[str, str]) -> None:
    aws.forget_clients()  # as in a worker that just started (provisioning built some)
    frozen = gc.get_freeze_count()
    warm.warm(provisioned["COVID_ETL_LOADER_QUEUE_URL"], wait_s=60)
    clients = 4 if "COVID_ETL_TOPIC_ARN" in provisioned else 3  # sns too where a topic is configured
    assert aws.clients_built() == clients  # the one DynamoDB client is the low-level one
    s3 = aws.client("s3")  # the same cached client the stages use, its endpoint resolved already
    assert s3.list_objects_v2(Bucket=provisioned["COVID_ETL_BUCKET"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert gc.get_freeze_count() == frozen  # the process's collector is left as it was


def test_a_slow_warm_up_does_not_hold_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    release, done = threading.Event(), threading.Event()

    def stuck(queue_url: str) -> None:  # an emulator that does not answer
        release.wait(30)
        done.set()

    monkeypatch.setattr(warm, "warm_clients", stuck)
    warm.warm("http://127.0.0.1:9/queue", wait_s=0.01)  # returns while the warming still waits
    assert not done.is_set()
    release.set()
    assert done.wait(30)
