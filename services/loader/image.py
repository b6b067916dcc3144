"""The table image: every region's current rows with their bookkeeping, as the last committed load left them.

The loader's diff base (docs/regions.md): one gzip JSON object in S3 (`images/<sha256>.json.gz`, the
sha256 of the stored bytes), named by the `meta/dataset` item's `image`. A one-day update reads it
instead of querying every region. Rows are lists in the order of `COLUMNS` (a row of dicts would be
twice the size before gzip); the same table gives the same bytes (sorted keys, no gzip timestamp).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping

from shared.blobs import sha256_hex
from shared.daily import VALUES
from shared.layout import image_key

Rows = dict[str, dict[str, dict[str, object]]]  # region id -> date -> the row's item without its key
BOOKKEEPING = ("run_id", "first_run", "loaded_at")
COLUMNS = ("date", *VALUES, *BOOKKEEPING)
FORMAT = 1


def encode(rows: Mapping[str, Mapping[str, Mapping[str, object]]]) -> tuple[str, bytes]:
    """The image's key and bytes."""
    regions = {region: [[date, *(row.get(c) for c in COLUMNS[1:])] for date, row in sorted(dates.items())]
               for region, dates in sorted(rows.items())}
    text = json.dumps({"format": FORMAT, "columns": COLUMNS, "regions": regions}, separators=(",", ":"))
    data = gzip.compress(text.encode(), compresslevel=6, mtime=0)
    return image_key(sha256_hex(data)), data


def decode(key: str, data: bytes) -> Rows:
    """The rows an image holds; ValueError if its bytes are not the ones its key names."""
    if image_key(sha256_hex(data)) != key:
        raise ValueError(f"{key}: the image's bytes do not match its name")
    body = json.loads(gzip.decompress(data))
    if body.get("format") != FORMAT:
        raise ValueError(f"{key}: unknown image format {body.get('format')!r}")
    columns = body["columns"]
    return {region: {row[0]: {c: v for c, v in zip(columns[1:], row[1:], strict=True) if v is not None}
                     for row in rows}
            for region, rows in body["regions"].items()}
