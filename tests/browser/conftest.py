"""The browser tier: `covid-etl up` as a real process, sources over local HTTP, headless Chromium.

One stack for the whole tier, with a history the tests know: a successful first run on an older
snapshot, a failed run (the NYT file answers 404), then a successful run on the newer snapshot. Uses
the real source snapshots in ../shared/data when present, else the fixture pairs in the sources'
real formats (tests/support/fixtures.py). Several regions and their revisions are then written in the
documented table layout by `tests/browser/seed.py`, from the same files (see its docstring for why).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser import seed
from tests.support.fixtures import new_pair, old_pair
from tests.support.sources import SourceServer
from tests.support.stack import Stack
from tests.support.tiers import unavailable

REAL = Path(__file__).resolve().parents[3] / "shared" / "data"
REAL_LOOKUP = REAL / "jhu" / "UID_ISO_FIPS_LookUp_Table.csv"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TIMEOUT_MS = 60000  # generous: the machine may be busy; a pass is usually well under a second


def chromium() -> str | None:
    """$COVID_ETL_CHROMIUM (CI on GitHub: the runner's Google Chrome), else Chromium on PATH."""
    return os.environ.get("COVID_ETL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def snapshots() -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """(older, newer) source pairs: the real snapshots when present, else the fixtures."""
    old = (REAL / "nyt" / "us-2020-08-13.csv", REAL / "jhu" / "time-series-19-covid-combined-2020-09-25.csv")
    new = (REAL / "nyt" / "us.csv", REAL / "jhu" / "time-series-19-covid-combined.csv")
    if all(p.is_file() for p in (*old, *new)):
        return old, new
    return old_pair(), new_pair()


@dataclass
class Made:
    """The runs the tier made, oldest first, as `covid-etl run --json` and the stack reported them."""

    first: dict[str, Any]
    failed: dict[str, Any]
    succeeded: dict[str, Any]
    loads: tuple[seed.Load, seed.Load] | None = None  # the two loads' run ids, instants and sources
    revised: tuple[tuple[str, str], ...] = ()  # (region, date) of each revision the table holds


def text(content: Any) -> str:
    return content.read_text() if isinstance(content, Path) else str(content)


def table(stack: Stack) -> Any:
    import boto3

    resource = boto3.resource("dynamodb", endpoint_url=stack.endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
    return resource.Table(stack.setting("COVID_ETL_TABLE"))


def item(stack: Stack, pk: str, sk: str) -> dict[str, Any] | None:
    return table(stack).get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")  # type: ignore[no-any-return]


def committed(stack: Stack, pair: tuple[Any, Any], lookup: str) -> tuple[seed.Load, list[dict[str, Any]]]:
    """The load the last run committed (`meta/dataset`: its run id and instant; the sources' versions
    of its `load` item, when the loader writes one) and the US items then."""
    dataset = item(stack, "meta", "dataset")
    assert dataset is not None
    load = item(stack, "load", str(dataset["version"]))
    sources = dict(load["sources"]) if load else {
        "nyt": seed.sha256(text(pair[0])), "jhu": seed.sha256(text(pair[1])), "lookup": seed.sha256(lookup)}
    return seed.Load(str(dataset["version"]), str(dataset["loaded_at"]), sources), stack._query("series#US")


def revisions(stack: Stack, regions: list[str]) -> tuple[tuple[str, str], ...]:
    """(region, date) of each `revision#` item of these regions."""
    return tuple((region, str(i["sk"]).split("#", 1)[0]) for region in regions
                 for i in stack._query(f"revision#{region}"))


@pytest.fixture(scope="package")
def sources() -> Iterator[SourceServer]:
    with SourceServer() as server:
        yield server


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, sources: SourceServer) -> Iterator[Stack]:
    """The whole system after three runs (see `made`); the newer snapshot is loaded."""
    old, new = snapshots()
    lookup = (REAL_LOOKUP if REAL_LOOKUP.is_file() else Path(__file__).resolve().parents[1] / "support" / "lookup.csv"
              ).read_text()
    sources.put_pair(old)
    with Stack.up(tmp_path_factory.mktemp("stack"), sources.url("nyt.csv"), sources.url("jhu.csv")) as up:
        first = up.first_run(timeout=180)
        assert first["status"] == "succeeded", up.logs()
        load1, us1 = committed(up, old, lookup)
        sources.fail("/nyt.csv", 404)
        failed = up.run(expect_rc=(1,))
        assert failed["status"] == "failed" and "404" in failed["error"], failed
        sources.fail("/nyt.csv", None)
        sources.put_pair(new)
        succeeded = up.run()
        assert succeeded["status"] == "succeeded" and succeeded["inserted"] > 0, succeeded
        load2, us2 = committed(up, new, lookup)
        if item(up, "meta", "regions") is None:  # a loader of the US alone: the seed writes the regions
            seed.write(table(up), seed.seed((text(old[1]), text(new[1])), lookup, (load1, load2), (us1, us2)).all())
        up.made = Made(first={"run_id": first["run_id"], **{k: first.get(k) for k in ("inserted", "status")}},  # type: ignore[attr-defined]
                       failed=failed, succeeded=succeeded, loads=(load1, load2),
                       revised=revisions(up, ["US", *(s.id for s in seed.SPECS)]))
        yield up


@pytest.fixture(scope="package")
def made(stack: Stack) -> Made:
    return stack.made  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    executable = chromium()
    if executable is None:
        unavailable("chromium is not installed (apt-get install -y chromium, as .ci/run does; or COVID_ETL_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """Everything a page should never do: console errors, page errors, failed requests, CSP violations."""

    def __init__(self, page: Any, allowed: tuple[str, ...] = ()) -> None:
        self.errors: list[str] = []
        self.allowed = allowed
        page.on("console", lambda m: self._add(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self._add(f"pageerror: {e}"))
        page.on("response", lambda r: self._add(f"{r.status} {r.url}") if r.status >= 400 else None)
        # Runs through DevTools before any page script, so the page's own CSP does not block it.
        page.add_init_script("document.addEventListener('securitypolicyviolation', (e) => "
                             "console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));")

    def _add(self, text: str) -> None:
        if not any(a in text for a in self.allowed):
            self.errors.append(text)


def open_page(browser: Any, url: str, allowed: tuple[str, ...] = (), **context: Any) -> tuple[Any, Any, PageWatch]:
    """A new context and page on `url`, watched; the caller closes the context."""
    ctx = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context})
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    watch = PageWatch(page, allowed)
    page.goto(url, wait_until="domcontentloaded")  # the tests then wait for what they check
    return ctx, page, watch


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG rules and best practices)."""
    page.evaluate(AXE.read_text())  # through DevTools: the page's CSP stays strict
    result = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"]]
