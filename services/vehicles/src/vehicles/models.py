"""Tables owned by the vehicles service.

Two partial unique indexes make the plate rules hold under concurrency, whatever the order in
which requests arrive: a plate has at most one request waiting for a decision
(``uq_plate_requests_pending_plate``), and at most one active association
(``uq_plates_active_plate``), so it is never associated twice, to one citizen or to two.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlmodel import Field

from kit.models import service_base

Base = service_base()
metadata = Base.metadata

from kit.audit import audit_table  # noqa: E402
from kit.documents import documents_table  # noqa: E402
from kit.readmodel import citizens_table  # noqa: E402

citizens = citizens_table(metadata)
documents = documents_table(metadata)
audit = audit_table(metadata)

STATUSES = ("pending", "approved", "rejected")
FUELS = ("benzina", "diesel", "gpl", "metano", "ibrida", "elettrica")


def _timestamp(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=nullable)


class PlateRequest(Base, table=True):
    """A citizen's request to associate a plate (Fase 8) and, once decided, its outcome. Its
    documents are ``PlateRequestDocument`` rows."""

    __tablename__ = "plate_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="ck_plate_requests_status"),
        CheckConstraint(f"fuel IN {FUELS}", name="ck_plate_requests_fuel"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    plate: str = Field(max_length=10)
    foreign: bool
    make: str = Field(max_length=60)
    model: str = Field(max_length=60)
    fuel: str = Field(max_length=20)
    owned: bool
    status: str = Field(default="pending", max_length=20)
    submitted_at: datetime = Field(sa_type=DateTime(timezone=True))
    decided_at: datetime | None = _timestamp(nullable=True)
    decided_by: uuid.UUID | None = None
    outcome_reason: str | None = Field(default=None, sa_type=Text)
    # Recorded by the operator who approves: it certifies the vehicle for the electric-car
    # subscription.
    electric: bool | None = None
    plate_id: uuid.UUID | None = None


Index(
    "uq_plate_requests_pending_plate",
    PlateRequest.__table__.c.plate,  # type: ignore[attr-defined]
    unique=True,
    postgresql_where=text("status = 'pending'"),
)
Index(
    "ix_plate_requests_status_submitted",
    PlateRequest.__table__.c.status,  # type: ignore[attr-defined]
    PlateRequest.__table__.c.submitted_at,  # type: ignore[attr-defined]
)


class PlateRequestDocument(Base, table=True):
    """A document of a request: the file itself is a row of ``documents`` (owned by the
    citizen, like every document), here what it is for the request."""

    __tablename__ = "plate_request_documents"
    __table_args__ = (UniqueConstraint("request_id", "field", name="uq_plate_request_documents_field"),)

    document_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid,
            ForeignKey("documents.id", name="fk_plate_request_documents_document_id"),
            primary_key=True,
        )
    )
    request_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid,
            ForeignKey("plate_requests.id", name="fk_plate_request_documents_request_id"),
            nullable=False,
        )
    )
    field: str = Field(max_length=60)
    # What the operator's preview can show: a PDF's pages, 1 for an image.
    pages: int


class Plate(Base, table=True):
    """A plate associated to a citizen ("Targhe Associate"), from an approved request. Removing
    the association keeps the row (``dissociated_at``): the plate can then be requested again,
    and a new association gets a new id."""

    __tablename__ = "plates"
    __table_args__ = (UniqueConstraint("request_id", name="uq_plates_request_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    plate: str = Field(max_length=10)
    make: str = Field(max_length=60)
    model: str = Field(max_length=60)
    electric: bool
    request_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("plate_requests.id", name="fk_plates_request_id"), nullable=False)
    )
    associated_at: datetime = Field(sa_type=DateTime(timezone=True))
    dissociated_at: datetime | None = _timestamp(nullable=True)


Index(
    "uq_plates_active_plate",
    Plate.__table__.c.plate,  # type: ignore[attr-defined]
    unique=True,
    postgresql_where=text("dissociated_at IS NULL"),
)
