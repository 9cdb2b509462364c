"""What every service client shares: the binding to the page being served, the two ways of
calling (anonymous, as the logged-in user) and the shapes common to every service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel
from starlette.requests import Request

from portal import auth
from portal.api import Multipart, call

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    """The envelope of every list endpoint of the services."""

    items: list[Item]
    total: int
    limit: int
    offset: int

    @property
    def partial(self) -> bool:
        """More items exist than this page holds."""
        return self.offset + len(self.items) < self.total


class RequestSummary(BaseModel):
    """A citizen's request (certification, plate association, subscription) in a list."""

    id: uuid.UUID
    status: str
    submitted_at: datetime
    outcome_reason: str | None = None


class ServiceClient:
    def __init__(self, request: Request) -> None:
        self._request = request

    async def _call(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """Without the user's token: registration, login, password recovery."""
        return await call(self._request.app.state.api, method, path, json=json, headers=headers)

    async def _user_call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        multipart: Multipart | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """As the logged-in user (raises LoginRequired when there is none)."""
        return await auth.user_call(
            self._request, method, path, json=json, multipart=multipart, params=params
        )
