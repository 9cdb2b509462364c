"""Finding 6 of issue 10: the session cookie can neither be read nor replayed after logout."""

import base64
import re

import httpx


async def test_the_cookie_holds_nothing_readable(client, login_as):
    await login_as("citizen")
    value = client.cookies["portal_session"]
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    for readable in (b"access-1", b"refresh-1", b"mario.rossi", b"access_token"):
        assert readable not in raw


async def test_a_cookie_copied_before_logout_opens_nothing_after_it(client, gateway, login_as, make_problem):
    await login_as("citizen")
    copied = client.cookies["portal_session"]
    page = await client.get("/dashboard")
    assert page.status_code == 200 and "Mario" in page.text

    gateway.on("POST", "/api/identity/auth/logout", httpx.Response(204))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    await client.post("/logout", data={"csrf_token": token})
    # Identity has ended the login: its account routes and its refresh refuse the tokens.
    gateway.on("GET", "/api/identity/me", make_problem(401, "session_ended", "La sessione è terminata."))
    gateway.on(
        "POST",
        "/api/identity/auth/refresh",
        make_problem(401, "invalid_refresh_token", "Sessione non valida."),
    )

    client.cookies.clear()
    client.cookies.set("portal_session", copied)
    dashboard = await client.get("/dashboard")
    assert dashboard.status_code == 303 and dashboard.headers["location"].startswith("/login")
    home = await client.get("/")
    assert "Mario" not in home.text and "Rossi" not in home.text
    assert "<span>Accedi</span>" in home.text
