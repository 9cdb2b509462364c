"""The certification service (`/api/certifications`): the sectors catalogue, the citizen's
requests for the certification of residence in a sector (with the identity document and the
self-certification attached), the self-certification form as a PDF, the operators' review of
the requests and the admins' management of the sectors."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, model_validator

from portal.api import Download, FileUpload
from portal.clients.base import (
    DocumentReviewClient,
    Page,
    QueuedRequest,
    RequestSummary,
    ReviewedRequest,
    with_files,
    without_empty,
)

PREFIX = "/api/certifications"
# Sectors are few (the zones of the city): one page holds them all.
SECTORS_PAGE = 100


class Sector(BaseModel):
    """A zone of residence, the manual's "Tipo di Autocertificazione"."""

    code: str
    name: str
    description: str = ""
    streets: list[str] = []
    active: bool = True


class SectorSuggestion(BaseModel):
    """The sector whose streets cover the citizen's residence address, if the catalogue knows
    it. The service may answer ``{"sector": ..., "address": ...}`` or the bare sector (or
    null): both read the same here."""

    sector: Sector | None = None
    address: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_sector(cls, data: Any) -> Any:
        if data is None:
            return {"sector": None}
        if isinstance(data, dict) and "code" in data:
            return {"sector": data}
        return data


class SectorDraft(BaseModel):
    """A sector as an admin writes it. The code is chosen once, at creation."""

    code: str = ""
    name: str
    description: str
    streets: list[str]
    active: bool = True


class CertificationRequest(RequestSummary):
    sector_code: str | None = None
    sector_name: str | None = None
    valid_until: date | None = None


class QueuedCertificationRequest(CertificationRequest, QueuedRequest):
    """A request in the operators' queue."""


class CertificationReview(CertificationRequest, ReviewedRequest):
    """A request as an operator reviews it."""

    # Whether the citizen's residence street is among the chosen sector's (None: unknown).
    address_in_sector: bool | None = None


class CertificationClient(DocumentReviewClient):
    REQUESTS = f"{PREFIX}/admin/requests"

    # The citizen

    async def sectors(self) -> Page[Sector]:
        """The sectors a citizen may choose."""
        return await self._user_get(Page[Sector], f"{PREFIX}/sectors", params={"limit": SECTORS_PAGE})

    async def suggested_sector(self) -> SectorSuggestion:
        """The sector of the logged-in citizen's residence address, when there is one."""
        return await self._user_get(SectorSuggestion, f"{PREFIX}/sectors/suggested")

    async def self_certification_form(self, sector_code: str) -> Download:
        """The self-certification of residence as a PDF, filled in with the citizen's details
        and the sector."""
        params = without_empty({"sector_code": sector_code})
        return await self._user_download(f"{PREFIX}/form", params=params)

    async def list_requests(self) -> Page[CertificationRequest]:
        """The logged-in citizen's own requests."""
        return await self._user_get(Page[CertificationRequest], f"{PREFIX}/requests")

    async def submit_request(
        self,
        sector_code: str,
        identity_document: FileUpload | None,
        self_certification: FileUpload | None,
    ) -> CertificationRequest:
        """The files go to the service as they are read from the browser's upload. What the
        citizen left out is left out of the body: the service answers next to the field."""
        files = {"identity_document": identity_document, "self_certification": self_certification}
        body = with_files({"sector_code": sector_code}, files)
        return await self._user_post(CertificationRequest, f"{PREFIX}/requests", multipart=body)

    # Operators

    async def queue(
        self, *, sector_code: str = "", limit: int, offset: int
    ) -> Page[QueuedCertificationRequest]:
        """The requests waiting for a decision, oldest first."""
        return await self._queue(
            Page[QueuedCertificationRequest], sector_code=sector_code, limit=limit, offset=offset
        )

    async def review(self, request_id: uuid.UUID) -> CertificationReview:
        return await self._review(CertificationReview, request_id)

    async def approve(self, request_id: uuid.UUID) -> None:
        await self._approve(request_id)

    # Admins: the sectors catalogue

    async def all_sectors(self) -> Page[Sector]:
        """Every sector, the inactive ones too."""
        return await self._user_get(Page[Sector], f"{PREFIX}/admin/sectors", params={"limit": SECTORS_PAGE})

    async def sector(self, code: str) -> Sector:
        return await self._user_get(Sector, f"{PREFIX}/admin/sectors/{quote(code, safe='')}")

    async def create_sector(self, draft: SectorDraft) -> None:
        body = draft.model_dump(include={"code", "name", "description", "streets"})
        await self._user_call("POST", f"{PREFIX}/admin/sectors", json=body)

    async def update_sector(self, code: str, draft: SectorDraft) -> None:
        """Name, description, streets and whether citizens are offered it (``active`` false
        deactivates it: a sector is never deleted, requests refer to it)."""
        body = draft.model_dump(include={"name", "description", "streets", "active"})
        await self._user_call("PUT", f"{PREFIX}/admin/sectors/{quote(code, safe='')}", json=body)
