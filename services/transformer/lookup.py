"""The lookup table a run uses: the run's own `lookup` source, or the copy bundled with the transformer.

The lookup is optional (a run goes on without its download), but the region ids are made from it:
without a table, France would be `france` on one run and `FR` on the next. So a run whose lookup is
missing or does not parse uses the bundled copy (services/transformer/data/README.md), and says so.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from services.transformer.parse import parse_lookup
from services.transformer.regions import Known, known_rows

BUNDLED = Path(__file__).resolve().parent / "data" / "UID_ISO_FIPS_LookUp_Table.csv"
BUNDLED_COMMIT = "011e21a9"


@cache
def bundled() -> dict[tuple[str, str], Known]:
    """The bundled table's rows without Admin2, parsed once per process."""
    return known_rows(parse_lookup(BUNDLED.read_bytes()))


def lookup_for_run(frame: pd.DataFrame | None, why_not: str | None) -> tuple[dict[tuple[str, str], Known], list[str]]:
    """The run's parsed lookup; without one (`why_not` says why), the bundled copy and a warning."""
    if frame is not None:
        return known_rows(frame), []
    return bundled(), [f"{why_not}; the lookup table bundled with the transformer (JHU CSSE commit "
                       f"{BUNDLED_COMMIT}) was used instead"]
