"""The subscriptions service (`/api/subscriptions`): the citizen's subscription requests."""

from __future__ import annotations

from portal.api import parse
from portal.clients.base import Page, RequestSummary, ServiceClient

PREFIX = "/api/subscriptions"


class SubscriptionRequest(RequestSummary):
    """Fields of its own (plate, subscription type, price) come with the subscription pages."""


class SubscriptionsClient(ServiceClient):
    async def list_requests(self) -> Page[SubscriptionRequest]:
        """The logged-in citizen's own requests."""
        return parse(Page[SubscriptionRequest], await self._user_call("GET", f"{PREFIX}/requests"))
