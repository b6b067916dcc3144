"""Starting a run: an ExtractRequested on the extractor's queue, archived like every message.

What `covid-etl run` sends to a local or a deployed system, and what `up` sends for its first run
and its schedule.
"""

from __future__ import annotations

from shared.messages import ExtractRequestedV1, make_message, new_run_id
from shared.topology import EXTRACTOR, queue_url_var


def trigger(env: dict[str, str], how: str = "cli", force: bool = False) -> str:
    """Put an ExtractRequested on the extractor's queue; returns the run id."""
    from shared.blobs import S3BlobStore
    from shared.queues import SqsPublisher

    run_id = new_run_id()
    message = make_message(ExtractRequestedV1(trigger=how, force=force), run_id=run_id, producer="cli")  # type: ignore[arg-type]
    archive = S3BlobStore(env["COVID_ETL_BUCKET"]) if env.get("COVID_ETL_BUCKET") else None
    queue = EXTRACTOR.name
    SqsPublisher({queue: env[queue_url_var(queue)]}, archive=archive).send(queue, message)
    return run_id
