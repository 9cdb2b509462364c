"""HTTP client for the services' public APIs, reached through the gateway."""

from __future__ import annotations

import httpx
from kit.correlation import HEADER, current_correlation_id

from portal.settings import PortalSettings


async def _forward_correlation_id(request: httpx.Request) -> None:
    # The services log under the same id as the page that called them.
    request.headers[HEADER] = current_correlation_id()


def create_api_client(
    settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=settings.api_base_url,
        timeout=settings.api_timeout_s,
        transport=transport,
        event_hooks={"request": [_forward_correlation_id]},
    )
