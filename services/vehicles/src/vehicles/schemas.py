"""Request and response shapes of the vehicles API (pydantic). Only shapes here: the rules
(plate formats, fuels, reasons) are the domain's, which answers with one error per field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kit.audit import AuditEntry
from kit.readmodel import CitizenDetails, CitizenSummary

Status = Literal["pending", "approved", "rejected"]
FuelValue = Literal["benzina", "diesel", "gpl", "metano", "ibrida", "elettrica"]


class DocumentInfo(BaseModel):
    """A document attached to a request (its content is downloaded separately)."""

    id: uuid.UUID
    field: str = Field(description="registration_document | availability_attestation")
    label: str = Field(description="Libretto di circolazione | Attestazione di disponibilità")
    filename: str
    content_type: str
    size: int
    pages: int = Field(description="Pages the preview can show: a PDF's pages, 1 for an image")
    created_at: datetime = Field(description="When it was uploaded")


class RequestSummary(BaseModel):
    """A plate association request, as listed in "Richieste Associazione Targa"."""

    id: uuid.UUID
    plate: str
    make: str
    model: str
    fuel: FuelValue
    fuel_label: str
    status: Status
    status_label: str = Field(description="In attesa di esito | Approvata | Rifiutata")
    submitted_at: datetime
    decided_at: datetime | None
    outcome_reason: str | None = Field(description="The operator's reason, when rejected")


class RequestDetail(RequestSummary):
    foreign: bool
    owned: bool = Field(description="The vehicle is in the citizen's name")
    electric: bool | None = Field(description="Certified by the operator on approval; null until then")
    plate_id: uuid.UUID | None = Field(description="The association created on approval")
    documents: list[DocumentInfo]


class ReviewSummary(RequestSummary):
    """A request in the operators' list."""

    user_id: uuid.UUID
    citizen: CitizenSummary | None = Field(description="Null until identity's event reached the service")


class ReviewDetail(RequestDetail):
    """A request on the operator's page: the citizen, the documents, the decisions taken."""

    user_id: uuid.UUID
    decided_by: uuid.UUID | None = Field(description="The operator who decided")
    citizen: CitizenDetails | None = Field(description="Null until identity's event reached the service")
    audit: list[AuditEntry]


class AssociatedPlate(BaseModel):
    """A plate in "Targhe Associate"."""

    id: uuid.UUID
    plate: str
    make: str
    model: str
    electric: bool
    associated_at: datetime


class Approval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    electric: bool | None = Field(
        default=None,
        description="The vehicle is electric (certifies it for the electric-car subscription); "
        "by default, whether the declared fuel is 'elettrica'",
    )


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(description="Shown to the citizen: 5 to 500 characters, trimmed")
