"""Headless Chromium for the page tests: Debian's chromium and chromedriver, driven by Selenium.

Nothing is downloaded: the driver is named explicitly, so Selenium Manager never runs. Where the browser
is missing the browser tests skip, except in CI (`CI` set), where they fail: CI must install it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("DEMO_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("DEMO_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)
INSTALL_HINT = "apt-get install -y chromium chromium-driver, and pip install selenium"


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() and os.access(path, os.X_OK)) and shutil.which(path) is None:
            return f"{path} is not installed"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed"
    return None


def require_browser() -> None:
    problem = missing_browser()
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"the browser test cannot run: {problem} (CI must have it: {INSTALL_HINT})")
    pytest.skip(f"{problem} ({INSTALL_HINT})")


@contextmanager
def chromium(profile_dir: Path) -> Iterator[Any]:
    """A fresh headless Chromium (own profile directory) under a Selenium WebDriver; quits on exit."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
