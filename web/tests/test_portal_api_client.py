from pathlib import Path

import httpx

import portal
from kit.client_address import verified_address
from kit.correlation import correlation_id
from portal.api import create_api_client
from portal.settings import PortalSettings


async def test_api_calls_go_to_the_gateway_with_the_page_correlation_id():
    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    settings = PortalSettings(environment="test", api_base_url="http://gateway.test")
    token = correlation_id.set("pagina-123")
    try:
        async with create_api_client(settings, transport=httpx.MockTransport(gateway)) as api:
            await api.get("/api/identity/me")
    finally:
        correlation_id.reset(token)

    assert str(seen[0].url) == "http://gateway.test/api/identity/me"
    assert seen[0].headers["X-Correlation-ID"] == "pagina-123"


async def test_api_calls_carry_the_browser_address_signed_for_identity_throttling(
    portal_app, portal_settings, gateway
):
    from asgi_lifespan import LifespanManager

    gateway.on(
        "POST",
        "/api/identity/auth/login",
        httpx.Response(
            401, json={"code": "invalid_credentials"}, headers={"content-type": "application/problem+json"}
        ),
    )
    async with LifespanManager(portal_app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as browser:
            page = await browser.get("/login")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            await browser.post("/login", data={"email": "a@example.it", "password": "x", "csrf_token": token})
    sent = gateway.calls("POST", "/api/identity/auth/login")[0].headers
    secret = portal_settings.client_address_secret.get_secret_value().encode()
    # Signed, so that identity and the gateway believe it; never a forwarded-for anyone could set.
    assert verified_address(sent, secret) == "203.0.113.7"
    assert verified_address(sent, b"another-secret") is None
    assert "x-forwarded-for" not in sent


def test_no_page_module_holds_an_api_path():
    """Paths of the services live in portal.clients only: a page names a client's method."""
    package = Path(portal.__file__).parent
    modules = [p for p in package.rglob("*.py") if "clients" not in p.relative_to(package).parts]
    assert package / "routes" / "dashboard.py" in modules and package / "auth.py" in modules
    offenders = [str(p.relative_to(package)) for p in modules if "/api/" in p.read_text()]
    assert offenders == []
    # The check itself works: the clients are where the paths are.
    assert "/api/identity" in (package / "clients" / "identity.py").read_text()
