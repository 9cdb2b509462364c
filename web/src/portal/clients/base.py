"""What every service client shares: the binding to the page being served, the two ways of
calling (anonymous, as the logged-in user), the shapes common to every service and the
operators' review of a service's requests."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar, Generic, TypeVar

import httpx
from pydantic import BaseModel
from starlette.requests import Request

from portal import auth
from portal.api import Download, FileUpload, Multipart, call, parse

Item = TypeVar("Item")
Model = TypeVar("Model", bound=BaseModel)


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
    """A citizen's request (certification, plate association, subscription) in a list.
    ``status_label`` is the status in words as the service puts it (pages fall back on their
    own words when it is missing)."""

    id: uuid.UUID
    status: str
    status_label: str | None = None
    submitted_at: datetime
    decided_at: datetime | None = None
    outcome_reason: str | None = None


# --- what operators see of a request (certification, plate association, subscription) --------


class Citizen(BaseModel):
    """The citizen behind a request, from the service's copy of identity's personal details
    (a field is None until identity's event has reached the service)."""

    first_name: str | None = None
    last_name: str | None = None
    tax_code: str | None = None
    email: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    address_street: str | None = None
    address_number: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    # A service may send the address in one line instead of its parts.
    address: str | None = None
    phone: str | None = None

    @property
    def full_name(self) -> str:
        """Surname first, as the municipality's registers list people."""
        return " ".join(part for part in (self.last_name, self.first_name) if part)

    @property
    def residence(self) -> str:
        street = " ".join(part for part in (self.address_street, self.address_number) if part)
        town = " ".join(part for part in (self.postcode, self.municipality) if part)
        return ", ".join(part for part in (street, town) if part) or (self.address or "")


class Document(BaseModel):
    """A file attached to a request. ``pages``: how many pages its preview has, when the
    service says (else the preview shows the first)."""

    id: uuid.UUID
    field: str
    label: str | None = None
    filename: str
    content_type: str
    size: int
    pages: int | None = None


class AuditEntry(BaseModel):
    """One decision on a request, in the trail operators read."""

    action: str
    actor_email: str | None = None
    actor_role: str | None = None
    reason: str | None = None
    at: datetime


class QueuedRequest(BaseModel):
    """What the operators' queue adds to a request: its citizen (None until identity's event
    has reached the service)."""

    citizen: Citizen | None = None


class ReviewedRequest(QueuedRequest):
    """What an operator reviewing a request reads besides: its documents, its audit trail."""

    documents: list[Document] = []
    audit: list[AuditEntry] = []


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

    async def _user_get(
        self, model: type[Model], path: str, *, params: dict[str, Any] | None = None
    ) -> Model:
        """A GET as the logged-in user, the answer read in ``model``'s shape."""
        return parse(model, await self._user_call("GET", path, params=params))

    async def _user_post(
        self, model: type[Model], path: str, *, json: Any = None, multipart: Multipart | None = None
    ) -> Model:
        """A POST as the logged-in user, the answer read in ``model``'s shape."""
        return parse(model, await self._user_call("POST", path, json=json, multipart=multipart))

    async def _user_download(self, path: str, *, params: dict[str, Any] | None = None) -> Download:
        """A file, as the logged-in user: not read here, streamed on to the browser."""
        response = await auth.user_call(self._request, "GET", path, params=params, stream=True)
        return Download(response)


class ReviewClient(ServiceClient):
    """A service whose citizens' requests operators review at ``REQUESTS`` (its
    ``/admin/requests``): the queue, a request, the decision. Each service's client names the
    shapes of its answers and what an approval records."""

    REQUESTS: ClassVar[str]

    async def review(self, request_id: uuid.UUID) -> BaseModel:
        """The request as an operator reviews it, in the service's own shape."""
        raise NotImplementedError

    async def reject(self, request_id: uuid.UUID, reason: str) -> None:
        """The reason as typed, even empty: the service's own rule then says what it needs."""
        body = {"reason": reason}
        await self._user_call("POST", f"{self.REQUESTS}/{request_id}/reject", json=body)

    async def _queue(self, model: type[Model], *, limit: int, offset: int, **filters: str) -> Model:
        """The requests waiting for a decision, oldest first; a filter left empty is left out."""
        params = without_empty({"status": "pending", **filters, "limit": limit, "offset": offset})
        return await self._user_get(model, self.REQUESTS, params=params)

    async def _review(self, model: type[Model], request_id: uuid.UUID) -> Model:
        return await self._user_get(model, f"{self.REQUESTS}/{request_id}")

    async def _approve(self, request_id: uuid.UUID, body: dict[str, Any] | None = None) -> None:
        await self._user_call("POST", f"{self.REQUESTS}/{request_id}/approve", json=body or {})


class DocumentReviewClient(ReviewClient):
    """A reviewed service whose requests carry documents, downloaded and previewed."""

    async def document(self, request_id: uuid.UUID, document_id: uuid.UUID) -> Download:
        return await self._user_download(f"{self.REQUESTS}/{request_id}/documents/{document_id}")

    async def document_preview(self, request_id: uuid.UUID, document_id: uuid.UUID, page: int) -> Download:
        """One page of the document as a PNG image."""
        path = f"{self.REQUESTS}/{request_id}/documents/{document_id}/preview"
        return await self._user_download(path, params={"page": page})


def without_empty(params: dict[str, Any]) -> dict[str, Any]:
    """A query string without the filters left empty."""
    return {k: v for k, v in params.items() if v not in (None, "")}


def with_files(fields: dict[str, Any], files: dict[str, FileUpload | None]) -> Multipart:
    """A form with files, without the fields left empty and the files not chosen: the service
    answers next to each that it needed."""
    return Multipart(
        fields=without_empty(fields), files={name: file for name, file in files.items() if file is not None}
    )
