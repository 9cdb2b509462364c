import httpx
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
