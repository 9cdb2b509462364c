"""Request and response shapes of the certification API (pydantic). Only shapes and generous
bounds here: the rules (sector codes, streets, rejection reasons) are the domain's, which
answers with one Italian error per field."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.audit import AuditEntry
from kit.readmodel import CitizenDetails, CitizenSummary

Status = Literal["pending", "approved", "rejected", "expired"]
StreetText = Annotated[str, Field(max_length=500)]


# Sectors.


class Sector(BaseModel):
    """A sector as citizens see it (the "Tipo di Autocertificazione" choices)."""

    code: str
    name: str
    description: str
    streets: list[str]


class SectorAdmin(Sector):
    active: bool
    created_at: datetime
    updated_at: datetime


class SectorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=100)
    name: str = Field(max_length=1000)
    description: str | None = Field(default=None, max_length=10_000)
    streets: list[StreetText] = Field(max_length=5000)


class SectorUpdate(BaseModel):
    """Only the fields sent change; the code never does. ``active`` false deactivates it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=1000)
    description: str | None = Field(default=None, max_length=10_000)
    streets: list[StreetText] | None = Field(default=None, max_length=5000)
    active: bool | None = None


class SectorSuggestion(BaseModel):
    """The sector whose streets cover the citizen's residence address, when exactly one does."""

    sector: Sector | None
    # The residence address as the citizens read model knows it (None: not known yet).
    address: str | None


# Documents.


class DocumentInfo(BaseModel):
    id: uuid.UUID
    field: str
    label: str
    filename: str
    content_type: str
    size: int
    created_at: datetime
    # Pages of its preview (PDF pages, 1 for an image): in the operators' view only.
    pages: int | None = None


# Requests.


class CertificationRequest(BaseModel):
    """A request as its citizen sees it, in the list and after submitting it."""

    id: uuid.UUID
    sector_code: str
    sector_name: str
    status: Status
    status_label: str
    submitted_at: datetime
    decided_at: datetime | None
    outcome_reason: str | None
    certification_id: uuid.UUID | None
    valid_from: date | None
    valid_until: date | None


class CertificationRequestDetail(CertificationRequest):
    documents: list[DocumentInfo]


class AdminRequestSummary(CertificationRequest):
    """A request in the operators' queue. ``citizen`` is None until identity's event arrived."""

    user_id: uuid.UUID
    citizen: CitizenSummary | None


class AdminRequestDetail(CertificationRequest):
    user_id: uuid.UUID
    decided_by: uuid.UUID | None
    citizen: CitizenDetails | None
    # Whether the citizen's residence street is among the chosen sector's (None: unknown).
    address_in_sector: bool | None
    documents: list[DocumentInfo]
    audit: list[AuditEntry]


class Approval(BaseModel):
    """Nothing to say when approving (the body may be omitted or ``{}``)."""


class Rejection(BaseModel):
    reason: str | None = Field(default=None, max_length=5000)
