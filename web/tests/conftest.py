from collections.abc import AsyncIterator

import httpx
import pytest
from portal.app import create_app
from portal.assets import build_assets
from portal.settings import PortalSettings


@pytest.fixture(scope="session")
def vendor_assets():
    # Runs npm ci only if node_modules is missing or differs from package-lock.json.
    return build_assets()


@pytest.fixture
def portal_settings() -> PortalSettings:
    return PortalSettings(environment="test", log_json=False, session_secret="x" * 32)


@pytest.fixture
def portal_app(portal_settings):
    return create_app(portal_settings)


@pytest.fixture
async def client(portal_app) -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: let the 500 handler answer, as in production.
    transport = httpx.ASGITransport(app=portal_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
