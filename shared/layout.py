"""Where the pipeline's data lives: the table's partitions and the bucket's key prefixes.

Named once here; the adapters that write the keys (`shared.ledger`, `shared.idempotency`,
`shared.lock`, the extractor's raw files, the transformer's datasets, `shared.queues`' archive),
the services' access declarations (`shared.topology`) and the bucket's lifecycle rule use these
names. Standard library only, as `shared.topology` that imports it.
"""

from __future__ import annotations

# Table partitions (the `pk` of an item)
SERIES = "series#"  # a region's daily rows: `series#<region id>` (docs/regions.md)
REVISION = "revision#"  # a region's superseded values: `revision#<region id>`
US = "US"  # the default region: NYT's cases and deaths joined with JHU's recovered
SERIES_PK = f"{SERIES}{US}"
# Every region's partitions, as IAM matches them (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`)
ANY_SERIES = f"{SERIES}*"
ANY_REVISION = f"{REVISION}*"
LOAD_PK = "load"  # one item per committed load (its instant, the sources' versions)
RUN_PK = "run"  # the run ledger
SOURCE_PK = "source"  # each source's loaded version
META_PK = "meta"  # the dataset item, the region catalogue, the loading marker
IDEM_PK = "idem"  # idempotency claims
LOCK_PK = "lock"  # the load lease

# Bucket key prefixes
RAW = "raw/"  # the sources' bytes, content-addressed, kept
DATASETS = "datasets/"  # the transformer's records, content-addressed
ARCHIVE = "archive/"  # every message sent, by run and queue; expires
IMAGES = "images/"  # the table's rows as the last load committed them (the loader's diff base)


def raw_key(source: str, sha256: str) -> str:
    """Raw inputs are content-addressed: the same bytes are stored once."""
    return f"{RAW}{source}/{sha256}.csv"


def dataset_key(sha256: str) -> str:
    """A transformed dataset, named by the sha256 of its JSON body."""
    return f"{DATASETS}{sha256}.json"


def archive_prefix(run_id: str, queue: str) -> str:
    """Where the messages sent to `queue` in run `run_id` are kept."""
    return f"{ARCHIVE}{run_id}/{queue}/"


def archive_key(run_id: str, queue: str, message_id: str) -> str:
    """One sent message's copy: by run and by the stage (queue) it was sent to."""
    return f"{archive_prefix(run_id, queue)}{message_id}.json"


def series_pk(region: str) -> str:
    """The partition of a region's current daily rows."""
    return f"{SERIES}{region}"


def revision_pk(region: str) -> str:
    """The partition of a region's superseded values (sort key `<date>#<loaded_at>`)."""
    return f"{REVISION}{region}"


def image_key(sha256: str) -> str:
    """A table image (the loader's diff base), named by the sha256 of its body."""
    return f"{IMAGES}{sha256}.json.gz"
