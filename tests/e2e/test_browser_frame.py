"""The header and the footer of every page, in chromium through the real gateway: every link
they show answers 200 (after the redirects a browser follows), for a visitor, a signed-in
citizen and an operator; links leaving the portal are https."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from devtools.mailbox import Mailbox
from tests.e2e.journeys import register_and_log_in

pytestmark = pytest.mark.browser

FRAME_LINKS = "header a[href], footer a[href]"
LEGAL = {"/note-legali", "/accessibilita", "/dichiarazione-accessibilita", "/media-policy", "/privacy"}


async def frame_links(page: Page, path: str) -> tuple[set[str], set[str]]:
    """(the portal's own paths, the other addresses) linked from the frame of ``path``."""
    await page.goto(path)
    hrefs = await page.locator(FRAME_LINKS).evaluate_all("as => as.map(a => a.getAttribute('href'))")
    own = {href.split("#")[0] or "/" for href in hrefs if href.startswith("/") and not href.startswith("//")}
    other = {href for href in hrefs if not href.startswith(("/", "#", "mailto:", "tel:"))}
    return own, other


async def answers(page: Page, paths: set[str]) -> dict[str, int]:
    """Each path's final status, asked with the browser's own cookies."""
    statuses = {}
    for path in sorted(paths):
        response = await page.request.get(path)  # follows redirects, as a click would
        statuses[path] = response.status
    return statuses


async def test_every_header_and_footer_link_answers_200(page: Page, operator: Page, mailbox: Mailbox) -> None:
    checked: dict[str, dict[str, int]] = {}
    own, other = await frame_links(page, "/")
    assert LEGAL <= own, own
    checked["visitatore"] = await answers(page, own)

    await register_and_log_in(page, mailbox)
    citizen_own, citizen_other = await frame_links(page, "/dashboard")
    checked["cittadino"] = await answers(page, citizen_own)

    operator_own, operator_other = await frame_links(operator, "/operatore")
    checked["operatore"] = await answers(operator, operator_own)

    print("\nframe links:", {who: len(statuses) for who, statuses in checked.items()})
    failing = {who: {p: s for p, s in statuses.items() if s != 200} for who, statuses in checked.items()}
    assert failing == {who: {} for who in checked}
    leaving = other | citizen_other | operator_other
    assert leaving and all(href.startswith("https://") for href in leaving), leaving
