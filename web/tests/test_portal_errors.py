import secrets

import httpx
import pytest

from portal.settings import PortalSettings


async def test_unknown_page_gives_the_italian_404_page(client: httpx.AsyncClient):
    response = await client.get("/pagina-che-non-esiste")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Pagina non trovata" in response.text
    assert 'lang="it"' in response.text


async def test_unhandled_error_gives_the_italian_500_page(portal_app, client):
    @portal_app.get("/_test/guasto")
    async def broken():
        raise RuntimeError("boom")

    response = await client.get("/_test/guasto")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Si è verificato un errore" in response.text
    assert "boom" not in response.text and "Traceback" not in response.text


async def test_other_http_errors_are_html_pages_too(client: httpx.AsyncClient):
    response = await client.post("/")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "Operazione non consentita" in response.text


def test_production_refuses_the_development_session_secret():
    with pytest.raises(ValueError, match="SESSION_SECRET"):
        PortalSettings(environment="production")


def test_production_accepts_a_long_random_session_secret(production_settings):
    settings = production_settings(session_secret=secrets.token_urlsafe(48))
    assert settings.port == 8010
    assert settings.api_base_url == "http://127.0.0.1:8000"


async def test_a_trailing_slash_is_not_redirected_to_the_host_the_client_named(client: httpx.AsyncClient):
    response = await client.get("/login/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 404
    assert "evil.example" not in response.headers.get("location", "")
