"""Browser fixtures: Debian's chromium driven by Playwright against a real opencsms.

No browser is downloaded: Playwright launches the system chromium (``/usr/bin/chromium``, or
``OPENCSMS_CHROMIUM``). Without it the browser tests skip with a message, except under
``CI=true``, where they fail (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Page

CHROMIUM = Path(os.environ.get("OPENCSMS_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
#: Where the tests save screenshots of the main pages: docs/screenshots when
#: OPENCSMS_SCREENSHOTS=1 (``make screenshots``), else the test's temporary directory.
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run; .ci/run installs chromium)")
    pytest.skip(f"{reason}; install it (apt-get install chromium) to run the dashboard browser tests")


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    if os.environ.get("OPENCSMS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    return tmp_path


@pytest.fixture
def chromium() -> Path:
    """The chromium to drive (skips, or fails under CI=true, when it is missing)."""
    if not CHROMIUM.exists():
        _unavailable(f"no chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture
async def browser_page(chromium: Path, tmp_path: Path) -> AsyncIterator[Page]:
    """A fresh chromium profile and one page; uncaught JavaScript errors fail the test."""
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    errors: list[str] = []
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium),
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(10_000)

            def on_error(error: Any) -> None:
                errors.append(str(error))

            page.on("pageerror", on_error)
            yield page
        finally:
            await context.close()
    assert not errors, f"JavaScript errors in the dashboard: {errors}"


# The store-level tests of the dashboard use the domain fixtures (SQLite and PostgreSQL).
from tests.db_fixtures import database_url, store  # noqa: E402
from tests.domain.conftest import domain, events, make_domain  # noqa: E402

__all__ = ["database_url", "domain", "events", "make_domain", "store"]
