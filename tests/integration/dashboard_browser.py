"""The dashboard served in the test process against the running LocalStack, and Debian's Chromium
driven by Playwright (never a downloaded browser), for tests/integration/test_dashboard.py."""

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bench.measure import free_port
from dashboard import settings
from dashboard.environment import Budget, Collector
from dashboard.server import Dashboard, chart_library

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(app, port: int):
    """Serves a WSGI app on 127.0.0.1:port in a thread until the block ends."""
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def dashboard(endpoint_url: str | None = None):
    """A dashboard of its own (its own collector), yielding (its URL, the Dashboard)."""
    port = free_port()
    # A larger request budget than make dashboard's: the suite's other tests create queues and functions
    # meanwhile, and these tests are about what the page shows, not its cost (make bench measures that).
    collector = Collector(Budget(rate=20, burst=20), endpoint_url=endpoint_url)
    app = Dashboard(collector, port=port, charts=chart_library())
    app.collector.start()
    try:
        with serving(app, port) as url:
            yield url, app
    finally:
        app.collector.stop()


@contextmanager
def chromium(profile: Path):
    """A browser context of a fresh Chromium profile (its --user-data-dir) in a new folder."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed: apt-get install -y chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000}
        )
        try:
            yield context
        finally:
            context.close()


def screenshot(page, name: str, selector: str | None = None) -> Path:
    """The whole page, or the element the selector picks, in build/dashboard/screenshots/<name>.png."""
    settings.SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = settings.SCREENSHOTS_DIR / f"{name}.png"
    if selector:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path
