"""The pipeline's sources, each declared once: what settings, the extractor, the transformer, the
CDK app, docker-compose, `covid-etl up` and the API's credits read.

Adding a source is one `Source` here, its parser (`services/transformer/parse.py`) and its tests.
The parser is named by its import path, resolved by the transformer alone, so that this module (and
every service that reads it) does not import pandas.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.daily import from_source


@dataclass(frozen=True)
class Source:
    """One public source: where it is, how it is parsed, what it gives a row, whether a run needs it."""

    name: str
    default_url: str
    parser: str  # "module:function", bytes or a binary stream in, a DataFrame out
    required: bool  # a required source that cannot be fetched or parsed fails the run; an optional one warns
    title: str
    homepage: str
    licence: str
    attribution: str  # the credit line shown wherever its numbers are shown
    local_copy: str  # the snapshot under ../shared/data that the offline recipe points at

    @property
    def contributes(self) -> tuple[str, ...]:
        """The row's fields it gives (each field names its source in `shared.daily`); () for a source
        read for its metadata only."""
        return tuple(f.name for f in from_source(self.name))

    @property
    def url_var(self) -> str:
        """The environment variable of its URL: `COVID_ETL_<NAME>_URL`."""
        return f"COVID_ETL_{self.name.upper()}_URL"

    def credit(self) -> dict[str, object]:
        """What the API serves about it (`/api/v1/sources`)."""
        return {"name": self.name, "title": self.title, "homepage": self.homepage, "licence": self.licence,
                "attribution": self.attribution, "contributes": list(self.contributes), "required": self.required}


SOURCES: tuple[Source, ...] = (
    Source(
        name="nyt",
        default_url="https://raw.githubusercontent.com/nytimes/covid-19-data/master/us.csv",
        parser="services.transformer.parse:parse_nyt", required=True,
        title="The New York Times, COVID-19 data in the United States",
        homepage="https://github.com/nytimes/covid-19-data",
        licence="The New York Times' licence: non-commercial use with attribution",
        attribution="Cases and deaths: The New York Times (github.com/nytimes/covid-19-data).",
        local_copy="../shared/data/nyt/us.csv"),
    Source(
        name="jhu",
        default_url="https://raw.githubusercontent.com/datasets/covid-19/main/data/time-series-19-covid-combined.csv",
        parser="services.transformer.parse:parse_jhu", required=True,
        title="Johns Hopkins University CSSE, via datasets/covid-19",
        homepage="https://github.com/datasets/covid-19",
        licence="ODC-PDDL",
        attribution="Recovered, and every region's figures but the US series' cases and deaths: Johns Hopkins "
                    "University CSSE via datasets/covid-19. JHU stopped reporting US recoveries on 2020-12-14.",
        local_copy="../shared/data/jhu/time-series-19-covid-combined.csv"),
    Source(
        name="lookup",
        default_url="https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/csse_covid_19_data/"
                    "UID_ISO_FIPS_LookUp_Table.csv",
        parser="services.transformer.parse:parse_lookup", required=False,
        title="Johns Hopkins University CSSE, UID/ISO/FIPS lookup table",
        homepage="https://github.com/CSSEGISandData/COVID-19",
        licence="CC BY 4.0",
        attribution="Regions and populations: COVID-19 Data Repository by the Center for Systems Science "
                    "and Engineering (CSSE) at Johns Hopkins University (CC BY 4.0).",
        local_copy="../shared/data/jhu/UID_ISO_FIPS_LookUp_Table.csv"),
)
NAMES: tuple[str, ...] = tuple(s.name for s in SOURCES)
_BY_NAME = {s.name: s for s in SOURCES}


def source(name: str) -> Source:
    """The declared source called `name`; `KeyError` for any other name."""
    return _BY_NAME[name]


def known(name: str) -> str:
    """`name` if a source is declared so, else `ValueError` (a message's validator)."""
    if name not in _BY_NAME:
        raise ValueError(f"unknown source {name!r}; declared: {', '.join(NAMES)}")
    return name


def offline_recipe(command: str = "make run") -> str:
    """The shell line that runs on the local snapshots: every source's URL set to its copy (the required
    ones alone also run; an optional source left at its live URL is then skipped with a warning)."""
    lines = [f"{s.url_var}={s.local_copy}" for s in SOURCES]
    return " \\\n".join(lines) + f" {command}"
