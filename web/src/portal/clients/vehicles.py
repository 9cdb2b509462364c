"""The vehicles service (`/api/vehicles`): the citizen's requests to associate a plate (with
the registration document and, for a vehicle not in their name, the availability
attestation), the plates associated, and the operators' review of the requests."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from portal.api import FileUpload
from portal.clients.base import (
    DocumentReviewClient,
    Page,
    QueuedRequest,
    RequestSummary,
    ReviewedRequest,
    with_files,
)

PREFIX = "/api/vehicles"
# A citizen has a handful of plates: one page holds them all.
PLATES_PAGE = 100


class VehicleDeclaration(BaseModel):
    """The text fields of the "Nuova Targa" form as the citizen typed them; the service
    normalises and checks them. ``foreign`` and ``owned`` are "true" or "false"."""

    plate: str = ""
    plate_confirmation: str = ""
    foreign: str = ""
    make: str = ""
    model: str = ""
    fuel: str = ""
    owned: str = ""


class PlateRequest(RequestSummary):
    plate: str | None = None
    make: str | None = None
    model: str | None = None
    fuel: str | None = None


class Plate(BaseModel):
    """A plate associated with the citizen."""

    id: uuid.UUID
    plate: str
    make: str | None = None
    model: str | None = None
    electric: bool = False
    associated_at: datetime | None = None


class QueuedPlateRequest(PlateRequest, QueuedRequest):
    """A request in the operators' queue."""


class PlateReview(PlateRequest, ReviewedRequest):
    """A request as an operator reviews it: the declaration, the documents, the trail."""

    foreign: bool | None = None
    owned: bool | None = None


class VehiclesClient(DocumentReviewClient):
    REQUESTS = f"{PREFIX}/admin/requests"

    # The citizen

    async def list_requests(self) -> Page[PlateRequest]:
        """The logged-in citizen's own requests."""
        return await self._user_get(Page[PlateRequest], f"{PREFIX}/requests")

    async def submit_request(
        self,
        declaration: VehicleDeclaration,
        registration_document: FileUpload | None,
        availability_attestation: FileUpload | None,
    ) -> PlateRequest:
        """Fields and files the citizen left out are left out of the body: the service
        answers next to each field that needed them."""
        files = {
            "registration_document": registration_document,
            "availability_attestation": availability_attestation,
        }
        body = with_files(declaration.model_dump(), files)
        return await self._user_post(PlateRequest, f"{PREFIX}/requests", multipart=body)

    async def plates(self) -> Page[Plate]:
        """The plates associated with the logged-in citizen."""
        return await self._user_get(Page[Plate], f"{PREFIX}/plates", params={"limit": PLATES_PAGE})

    async def remove_plate(self, plate_id: uuid.UUID) -> None:
        await self._user_call("DELETE", f"{PREFIX}/plates/{plate_id}")

    # Operators

    async def queue(self, *, plate: str = "", limit: int, offset: int) -> Page[QueuedPlateRequest]:
        """The requests waiting for a decision, oldest first (``plate``: part of a plate)."""
        return await self._queue(Page[QueuedPlateRequest], plate=plate, limit=limit, offset=offset)

    async def review(self, request_id: uuid.UUID) -> PlateReview:
        return await self._review(PlateReview, request_id)

    async def approve(self, request_id: uuid.UUID, *, electric: bool) -> None:
        """``electric``: what the operator read on the registration document (it decides the
        electric-car subscription)."""
        await self._approve(request_id, {"electric": electric})
