"""What a visitor does not see until it goes wrong: layout shift, dark mode, accessibility (axe-core,
vendored) and Lighthouse's scores (npm `lighthouse`, installed by `make test`, on Debian's Chromium)."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from services.api.security_headers import content_security_policy
from tests.browser.conftest import ARTIFACTS, TIMEOUT_MS, axe_violations, chromium, open_page
from tests.support.stack import Stack
from tests.support.tiers import unavailable

ROOT = Path(__file__).resolve().parents[2]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
MINIMUM = {"performance": 0.95, "accessibility": 1.0, "best-practices": 1.0, "seo": 0.95}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
CLS = """window.__cls = 0; new PerformanceObserver((list) => { for (const e of list.getEntries())
  if (!e.hadRecentInput) window.__cls += e.value; }).observe({ type: 'layout-shift', buffered: true });"""


def loaded(page: Any) -> None:
    page.wait_for_selector("#main[data-busy=false]", timeout=20000)
    page.wait_for_selector("#history tr.run")


@pytest.mark.parametrize("path", ["/", "/?region=CA-ontario&compare=US,DE,CA-ontario"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_nothing_moves_once_the_data_arrives(browser: Any, stack: Stack, device: str, path: str) -> None:
    context = browser.new_context(**(PHONE if device == "phone" else {"viewport": {"width": 1280, "height": 900}}))
    context.add_init_script(CLS)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(stack.api + path, wait_until="domcontentloaded")
    loaded(page)
    page.wait_for_timeout(500)
    shift = page.evaluate("window.__cls")
    context.close()
    assert shift < 0.01, f"cumulative layout shift {shift}"


def test_dark_mode_follows_the_system_setting(browser: Any, stack: Stack) -> None:
    backgrounds = {}
    for scheme in ("light", "dark"):
        context, page, watch = open_page(browser, stack.api + "/", color_scheme=scheme)
        loaded(page)
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        context.close()
        assert watch.errors == []
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(13, 17, 23)"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_axe_finds_no_violations(browser: Any, stack: Stack, scheme: str, device: str) -> None:
    options: dict[str, Any] = PHONE if device == "phone" else {}
    context, page, watch = open_page(browser, stack.api + "/", color_scheme=scheme, **options)
    loaded(page)
    for button in page.locator("#history tr.run button").all():  # every run's details open
        button.click()
    violations = axe_violations(page)
    context.close()
    assert violations == []
    assert watch.errors == []


def lighthouse(url: str, out: Path) -> dict[str, float]:
    env = {**os.environ, "CHROME_PATH": chromium() or ""}
    cmd = [str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
           "--only-categories=performance,accessibility,best-practices,seo",
           "--chrome-flags=--headless=new --no-sandbox"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    return {name: category["score"] for name, category in report["categories"].items()}


def test_lighthouse_scores(stack: Stack, browser: Any) -> None:
    if not LIGHTHOUSE.is_file():
        unavailable("Lighthouse is not installed (npm ci; `make test` does it when npm is present)")
    ARTIFACTS.mkdir(exist_ok=True)
    scores = lighthouse(stack.api + "/", ARTIFACTS / "lighthouse.json")
    (ARTIFACTS / "lighthouse-scores.json").write_text(json.dumps(scores, indent=1) + "\n")
    report = json.loads((ARTIFACTS / "lighthouse.json").read_text())
    failing = {k: report["audits"][k]["title"] for k, a in report["audits"].items()
               if a.get("score") is not None and a["score"] < 1 and a.get("scoreDisplayMode") == "binary"}
    assert all(scores[k] >= v for k, v in MINIMUM.items()), (scores, failing)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots_after_a_failed_and_a_successful_run(browser: Any, stack: Stack, device: str) -> None:
    """artifacts/dashboard-<device>.png, the failed run's details open (docs/img/ has copies)."""
    options: dict[str, Any] = PHONE if device == "phone" else {}
    context, page, watch = open_page(browser, stack.api + "/", **options)
    loaded(page)
    page.locator("#history tr.run.failed button").click()
    ARTIFACTS.mkdir(exist_ok=True)
    if device == "phone":
        page.evaluate("document.getElementById('h-history').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{device}.png"), full_page=device == "desktop")
    context.close()
    assert watch.errors == []


@pytest.mark.parametrize("path", ["/", "/app.js", "/api/v1/daily", "/api/v1/runs", "/no-such-file"])
def test_the_running_stack_sends_the_security_headers(stack: Stack, path: str) -> None:
    """Over real HTTP from gunicorn, errors included (the page's own compliance is checked above)."""
    try:
        response = urllib.request.urlopen(stack.api + path, timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        assert response.headers["Content-Security-Policy"] == content_security_policy()
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
