"""The vehicles service (`/api/vehicles`): the citizen's requests to associate a plate (with
the registration document and, for a vehicle not in their name, the availability
attestation), the plates associated, and the operators' review of the requests."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel

from portal.api import Download, FileUpload, Multipart, parse
from portal.clients.base import (
    AuditEntry,
    Citizen,
    Document,
    Page,
    RequestSummary,
    ServiceClient,
    without_empty,
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


class QueuedPlateRequest(PlateRequest):
    """A request in the operators' queue (``citizen`` None until identity's event arrived)."""

    citizen: Citizen | None = None


class PlateReview(PlateRequest):
    """A request as an operator reviews it: the declaration, the documents, the trail."""

    foreign: bool | None = None
    owned: bool | None = None
    citizen: Citizen | None = None
    documents: list[Document] = []
    audit: list[AuditEntry] = []


class VehiclesClient(ServiceClient):
    # The citizen

    async def list_requests(self) -> Page[PlateRequest]:
        """The logged-in citizen's own requests."""
        return parse(Page[PlateRequest], await self._user_call("GET", f"{PREFIX}/requests"))

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
        body = Multipart(
            fields=without_empty(declaration.model_dump()),
            files={name: file for name, file in files.items() if file is not None},
        )
        response = await self._user_call("POST", f"{PREFIX}/requests", multipart=body)
        return parse(PlateRequest, response)

    async def plates(self) -> Page[Plate]:
        """The plates associated with the logged-in citizen."""
        response = await self._user_call("GET", f"{PREFIX}/plates", params={"limit": PLATES_PAGE})
        return parse(Page[Plate], response)

    async def remove_plate(self, plate_id: uuid.UUID) -> None:
        await self._user_call("DELETE", f"{PREFIX}/plates/{plate_id}")

    # Operators

    async def queue(self, *, plate: str = "", limit: int, offset: int) -> Page[QueuedPlateRequest]:
        """The requests waiting for a decision, oldest first (``plate``: part of a plate)."""
        params = without_empty({"status": "pending", "plate": plate, "limit": limit, "offset": offset})
        response = await self._user_call("GET", f"{PREFIX}/admin/requests", params=params)
        return parse(Page[QueuedPlateRequest], response)

    async def review(self, request_id: uuid.UUID) -> PlateReview:
        return parse(PlateReview, await self._user_call("GET", f"{PREFIX}/admin/requests/{request_id}"))

    async def document(self, request_id: uuid.UUID, document_id: uuid.UUID) -> Download:
        return await self._user_download(f"{PREFIX}/admin/requests/{request_id}/documents/{document_id}")

    async def document_preview(self, request_id: uuid.UUID, document_id: uuid.UUID, page: int) -> Download:
        """One page of the document as a PNG image."""
        path = f"{PREFIX}/admin/requests/{request_id}/documents/{document_id}/preview"
        return await self._user_download(path, params={"page": page})

    async def approve(self, request_id: uuid.UUID, *, electric: bool) -> None:
        """``electric``: what the operator read on the registration document (it decides the
        electric-car subscription)."""
        body = {"electric": electric}
        await self._user_call("POST", f"{PREFIX}/admin/requests/{request_id}/approve", json=body)

    async def reject(self, request_id: uuid.UUID, reason: str) -> None:
        """The reason as typed, even empty: the service's own rule then says what it needs."""
        body = {"reason": reason}
        await self._user_call("POST", f"{PREFIX}/admin/requests/{request_id}/reject", json=body)
