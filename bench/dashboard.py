"""The dashboard's first paint with data, in headless Chromium (Playwright drives Debian's Chromium).

Each sample is a fresh browser context (no cache) opening the dashboard of a running stack; the
figure is `performance.now()` (ms since the navigation started) in the first animation frame in
which the chart holds the series (`#chart-total[data-points]`).
"""

from __future__ import annotations

import shutil

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
READY = "() => document.querySelector('#chart-total[data-points]') ? performance.now() : false"


def first_paint_ms(url: str, samples: int = 5) -> list[float]:
    """Empty when Chromium or Playwright is missing."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        return []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    out: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            for _ in range(samples + 1):
                context = browser.new_context()
                page = context.new_page()
                page.goto(url)
                out.append(float(page.wait_for_function(READY, polling="raf", timeout=30000).json_value()))
                context.close()
        finally:
            browser.close()
    return out[1:]  # the first opens the browser's own caches (fonts, the GPU-less compositor)
