"""Debian's headless Chromium driven by selenium through Debian's chromedriver.

Nothing is downloaded: both paths are given, so selenium-manager never runs. The flags keep
Chromium from calling home (the network is closed). Pages are served from 127.0.0.1.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REQUIRE = "BENCHGATE_REQUIRE_BROWSER"
"""Set by .ci/run: a missing browser then fails the browser tests instead of skipping them."""
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install -y chromium chromium-driver)"
    return None


def need_browser() -> None:
    """Skip with the reason, or fail when CI asked for the browser."""
    reason = missing_browser()
    if reason is None:
        return
    if os.environ.get(REQUIRE):
        pytest.fail(f"{REQUIRE} is set but {reason}")
    pytest.skip(reason)


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A fresh headless Chromium with its own profile, console logging on."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="benchgate-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """`directory` over http://127.0.0.1:<free port>/ until the block ends."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def console(driver: Any) -> list[dict[str, Any]]:
    """Console entries since the last call."""
    return list(driver.get_log("browser"))


def open_report(driver: Any, url: str) -> list[dict[str, Any]]:
    """Load a report and wait until its rows are built; returns the console entries meanwhile."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(url)
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.body.dataset.ready"))
    return console(driver)


def visible_ids(driver: Any) -> list[str]:
    """Sample ids of the rows on the current page, as the page shows them."""
    return list(
        driver.execute_script(
            "return Array.from(document.querySelectorAll('#rows article.sample'), a => a.dataset.id)"
        )
    )


def click_filter(driver: Any, name: str) -> None:
    """Press a filter button the way a user does."""
    driver.find_element("css selector", f"button[data-filter='{name}']").click()


def all_pages(driver: Any, limit: int = 1000) -> list[str]:
    """Ids of every row the current filter shows, clicking "Next" through the pages."""
    ids = visible_ids(driver)
    for _ in range(limit):
        button = driver.find_element("id", "next")
        if not button.is_enabled():
            return ids
        button.click()
        ids += visible_ids(driver)
    raise AssertionError(f"more than {limit} pages")
