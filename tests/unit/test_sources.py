"""The sources' declaration: what settings, messages and the transformer take from it."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError
from support import fixtures

from services.transformer.handler import parser
from shared.messages import SourceVersion
from shared.settings import Settings
from shared.sources import NAMES, SOURCES, offline_recipe, source


def test_each_source_has_its_url_variable_and_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for s in SOURCES:
        monkeypatch.delenv(s.url_var, raising=False)
    monkeypatch.setenv("COVID_ETL_LOOKUP_URL", "/data/lookup.csv")
    urls = Settings(source_urls={"nyt": "/data/nyt.csv"}).source_urls
    assert urls == {"nyt": "/data/nyt.csv", "jhu": source("jhu").default_url, "lookup": "/data/lookup.csv"}
    assert source("lookup").default_url == ("https://raw.githubusercontent.com/CSSEGISandData/COVID-19/master/"
                                            "csse_covid_19_data/UID_ISO_FIPS_LookUp_Table.csv")


def test_an_unknown_source_is_refused_by_settings_and_messages() -> None:
    with pytest.raises(ValidationError, match="unknown source 'cdc'"):
        Settings(source_urls={"cdc": "/x"})
    with pytest.raises(ValidationError, match="unknown source 'cdc'"):
        SourceVersion(name="cdc", url="/x", key="k", sha256="s", bytes=1, changed=True)


def test_each_declared_parser_resolves_and_the_lookup_parses_its_fixture() -> None:
    assert NAMES == ("nyt", "jhu", "lookup")
    assert all(callable(parser(s.name)) for s in SOURCES)
    frame = parser("lookup")(io.BytesIO(fixtures.lookup_csv().encode()))
    assert isinstance(frame, pd.DataFrame) and 840 in set(frame["uid"])


def test_only_nyt_and_jhu_are_required_and_the_recipe_names_every_local_copy() -> None:
    assert [s.name for s in SOURCES if s.required] == ["nyt", "jhu"]
    recipe = offline_recipe()
    assert recipe.endswith(" make run")
    assert all(f"{s.url_var}={s.local_copy}" in recipe for s in SOURCES)


def test_the_readme_and_the_dashboard_show_the_declared_recipe() -> None:
    root = Path(__file__).resolve().parents[2]
    assert offline_recipe() in (root / "README.md").read_text()
    assert offline_recipe() in (root / "web" / "index.html").read_text()  # the empty state's recipe
