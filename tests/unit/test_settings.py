"""Settings read each queue of the topology from its own variable, named as before."""

from __future__ import annotations

import pytest

from shared.settings import MissingSetting, Settings
from shared.topology import QUEUES


def test_every_queue_url_comes_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for queue in QUEUES:
        monkeypatch.setenv(f"COVID_ETL_{queue.upper()}_QUEUE_URL", f"http://sqs.test/000000000000/q-{queue}")
    settings = Settings()
    assert {q: settings.queue_url(q) for q in QUEUES} == {q: f"http://sqs.test/000000000000/q-{q}" for q in QUEUES}
    assert settings.dlq_url("loader") == "http://sqs.test/000000000000/q-loader-dlq"


def test_a_keyword_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COVID_ETL_LOADER_QUEUE_URL", "http://sqs.test/from-env")
    monkeypatch.setenv("COVID_ETL_NOTIFIER_QUEUE_URL", "http://sqs.test/notifier")
    settings = Settings(loader_queue_url="http://sqs.test/given")
    assert settings.queue_url("loader") == "http://sqs.test/given"
    assert settings.queue_url("notifier") == "http://sqs.test/notifier"


def test_a_missing_queue_url_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COVID_ETL_TRANSFORMER_QUEUE_URL", raising=False)
    with pytest.raises(MissingSetting, match="COVID_ETL_TRANSFORMER_QUEUE_URL is not set"):
        Settings().queue_url("transformer")
