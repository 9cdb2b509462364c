"""Browser fixtures: Playwright (async API, on the session's event loop) driving Debian's
chromium, never a browser downloaded by `playwright install`.

    browser            session: one headless chromium for the whole run
    browser_base_url   override it (e.g. ``return stack.url``) so that ``page.goto("/login")``
                       works; None by default
    context            per test: a fresh profile (no cookies), Italian locale, Rome time zone
    page               per test: a tab in that context; on failure a screenshot and the HTML
                       are saved under var/test-artifacts/browser/
    console_errors     the errors the page logged (CSP violations, JavaScript exceptions)

Tests that use ``page`` are marked ``browser`` automatically (``-m "not browser"`` skips them).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: the plugin loads in runs that drive no browser
    from playwright.async_api import Browser, BrowserContext, Page, Playwright

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # as root (containers, CI) chromium refuses to start with its sandbox
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
DEFAULT_TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}

_reports: pytest.StashKey[dict[str, pytest.TestReport]] = pytest.StashKey()


def chromium_missing_message(path: Path = CHROMIUM) -> str:
    return (
        f"chromium non trovato in {path}: installalo con `apt-get install chromium` "
        "(i test usano il chromium di Debian, mai `playwright install`), oppure indica il "
        "percorso con CHROMIUM_PATH."
    )


def chromium_installed() -> bool:
    return CHROMIUM.exists()


async def launch_chromium(playwright: Playwright, **options: Any) -> Browser:
    """Headless Debian chromium with the flags every run here needs (also for scripts)."""
    if not chromium_installed():
        raise FileNotFoundError(chromium_missing_message())
    return await playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, **options
    )


def artifacts_dir(config: pytest.Config) -> Path:
    return Path(
        os.environ.get("BROWSER_ARTIFACTS_DIR", config.rootpath / "var" / "test-artifacts" / "browser")
    )


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not chromium_installed():
        pytest.fail(chromium_missing_message(), pytrace=False)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await launch_chromium(playwright)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def browser_base_url() -> str | None:
    """Where relative ``page.goto`` paths lead; override in the tests' conftest or module."""
    return None


@pytest.fixture
def browser_context_options(browser_base_url: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {
        "locale": "it-IT",
        "timezone_id": "Europe/Rome",
        "viewport": VIEWPORT,
    }
    if browser_base_url:
        options["base_url"] = browser_base_url
    return options


@pytest.fixture
async def context(browser: Browser, browser_context_options: dict[str, Any]) -> AsyncIterator[BrowserContext]:
    created = await browser.new_context(**browser_context_options)
    created.set_default_timeout(DEFAULT_TIMEOUT_MS)
    created.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
async def page(
    context: BrowserContext, console_errors: list[str], request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    opened = await context.new_page()
    opened.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    opened.on("pageerror", lambda error: console_errors.append(f"JavaScript: {error}"))
    try:
        yield opened
    finally:
        reports = request.node.stash.get(_reports, {})
        if any(report.failed for report in reports.values()) and not opened.is_closed():
            await _save_artifacts(opened, request)


async def _save_artifacts(page: Page, request: pytest.FixtureRequest) -> None:
    directory = artifacts_dir(request.config)
    directory.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    try:
        await page.screenshot(path=str(directory / f"{stem}.png"), full_page=True)
        (directory / f"{stem}.html").write_text(await page.content(), encoding="utf-8")
        print(f"\nbrowser: page at failure ({page.url}) saved in {directory / stem}.png/.html")
    except Exception as exc:  # the page may have crashed: the test's own error matters more
        print(f"\nbrowser: could not save the page at failure: {exc!r}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ANN201
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()) or "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
