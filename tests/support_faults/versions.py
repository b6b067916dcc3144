"""Successive versions of the fixture sources, so that every fault test has a real load to do.

Version k revises every NYT row (cases + k) and adds two days, so a load writes 30+ rows: more
than one BatchWriteItem of 25.
"""

from __future__ import annotations

from support import fixtures


def version(k: int) -> tuple[str, str]:
    days = 30 + 2 * k
    nyt = [(d, c + k, x) for d, c, x in fixtures.nyt_rows(days)]
    return fixtures.nyt_csv(nyt), fixtures.jhu_csv(1, days, {}, lat_long=False)
