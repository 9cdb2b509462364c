import re
import uuid

import httpx
from fastapi.routing import APIRoute


def _routes(routes):
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's lazily included routers
        yield from _routes(included.routes) if included is not None else [route]


def _post_paths(app) -> list[str]:
    return [
        re.sub(r"\{[^}]+\}", str(uuid.uuid4()), route.path)
        for route in _routes(app.routes)
        if isinstance(route, APIRoute) and "POST" in route.methods
    ]


async def test_every_post_route_refuses_a_form_without_the_csrf_token(portal_app, client, gateway):
    paths = _post_paths(portal_app)
    assert {"/login", "/logout", "/registrazione", "/password/dimenticata", "/password/reimposta"} <= set(
        paths
    )
    await client.get("/login")  # a session exists: only the token is missing
    for path in paths:
        response = await client.post(path, data={"email": "a@example.it", "password": "x"})
        assert response.status_code == 403, path
        assert "Il modulo non è più valido" in response.text, path
    assert gateway.requests == [], "a refused form must never reach a service"


async def test_a_token_from_another_session_is_refused(portal_app, client, gateway, csrf):
    token = await csrf("/login")
    client.cookies.clear()
    await client.get("/login")  # new session, new token
    response = await client.post(
        "/login", data={"email": "a@example.it", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 403
    assert gateway.requests == []


async def test_the_refusal_page_is_italian_and_links_back_to_the_form(client, csrf):
    await csrf("/registrazione")
    response = await client.post(
        "/registrazione", data={"csrf_token": "sbagliato"}, headers={"referer": "http://test/registrazione"}
    )
    assert response.status_code == 403
    assert 'lang="it"' in response.text
    assert 'href="/registrazione">Torna alla pagina' in response.text
    assert "Traceback" not in response.text


async def test_the_back_link_never_leads_to_another_site(client, csrf):
    await csrf("/login")
    response = await client.post("/login", data={}, headers={"referer": "https://evil.example//x"})
    assert 'href="/">Torna alla pagina' in response.text


async def test_a_form_with_the_right_token_reaches_the_service(client, gateway, csrf, make_problem):
    gateway.on(
        "POST",
        "/api/identity/auth/login",
        make_problem(401, "invalid_credentials", "Email o password non corretti."),
    )
    token = await csrf("/login")
    response = await client.post(
        "/login", data={"email": "a@example.it", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 401
    assert len(gateway.calls("POST", "/api/identity/auth/login")) == 1


async def test_htmx_requests_may_send_the_token_in_a_header(client, csrf):
    token = await csrf("/login")
    response = await client.post("/logout", headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert response.status_code == 303


async def test_login_gives_the_session_a_new_csrf_token(client, csrf, login_as):
    before = await csrf("/login")
    await login_as("citizen")
    page = await client.get("/dashboard")
    after = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert after != before
    refused = await client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 403


async def test_session_cookie_is_http_only_and_same_site_lax(client, csrf):
    response = await client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "portal_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP outside production


async def test_session_cookie_is_secure_in_production(gateway, production_settings):
    from asgi_lifespan import LifespanManager

    from portal.app import create_app

    app = create_app(production_settings(), api_transport=httpx.MockTransport(gateway))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            response = await client.get("/login")
    assert "; secure" in response.headers["set-cookie"].lower()
