"""Finding 6 of issue 10, through the real gateway and services: a copy of the portal's session
cookie taken before logout opens nothing after it, and the cookie cannot be read."""

from __future__ import annotations

import base64

import httpx
from playwright.async_api import Page, expect

from devtools.mailbox import Mailbox
from tests.e2e.journeys import log_in, log_out, new_person, register


async def test_a_session_cookie_copied_before_logout_opens_nothing_after_it(
    page: Page, mailbox: Mailbox, gateway: httpx.AsyncClient
) -> None:
    person = new_person()
    await register(page, mailbox, person)
    await page.goto("/dashboard")
    if "/login" in page.url:
        await log_in(page, person.email)
    await expect(page.get_by_text(person.first_name).first).to_be_visible()
    cookie = next(c for c in await page.context.cookies() if c["name"] == "portal_session")

    # Sealed, not only signed: neither the tokens nor who it belongs to can be read off it.
    value = cookie["value"]
    decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    for secret_part in (b"access_token", b"refresh_token", person.email.encode(), b"eyJ"):
        assert secret_part not in decoded

    stolen = {"Cookie": f"portal_session={value}"}
    before = await gateway.get("/dashboard", headers=stolen)
    assert before.status_code == 200 and person.first_name in before.text

    await log_out(page)

    after = await gateway.get("/dashboard", headers=stolen)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")
    home = await gateway.get("/", headers=stolen)
    assert home.status_code == 200
    assert person.first_name not in home.text and person.last_name not in home.text
