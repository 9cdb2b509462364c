"""The vehicles service (`/api/vehicles`): the citizen's requests to associate a plate."""

from __future__ import annotations

from portal.api import parse
from portal.clients.base import Page, RequestSummary, ServiceClient

PREFIX = "/api/vehicles"


class PlateRequest(RequestSummary):
    """Fields of its own (plate, documents) come with the plate association pages."""


class VehiclesClient(ServiceClient):
    async def list_requests(self) -> Page[PlateRequest]:
        """The logged-in citizen's own requests."""
        return parse(Page[PlateRequest], await self._user_call("GET", f"{PREFIX}/requests"))
