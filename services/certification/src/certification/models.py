"""Tables owned by the certification service: the sectors catalogue, the citizens' requests
(with the certification an approval creates: id and validity on the request's row), their
documents, the operators' decision trail, and the citizens read model.

One pending request per citizen: a partial unique index decides between two requests racing,
not a prior read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String, Text, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field

from certification.domain.statuses import STATUSES
from kit.audit import audit_table
from kit.clock import utcnow
from kit.documents import documents_table
from kit.models import service_base
from kit.readmodel import citizens_table

Base = service_base()
metadata = Base.metadata

citizens = citizens_table(metadata)
documents = documents_table(metadata)
audit = audit_table(metadata)


class Sector(Base, table=True):
    """A zone of residence ("Tipo di Autocertificazione") and the streets it covers. Its code
    never changes (events and other services carry it); a sector no longer offered is
    deactivated, never deleted (requests refer to it)."""

    __tablename__ = "sectors"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    streets: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(200)), nullable=False, server_default=text("'{}'")),
    )
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class CertificationRequest(Base, table=True):
    """A citizen's request for the certification of residence in a sector (Fase 6), its two
    documents, the operator's decision and, once approved, the certification it became."""

    __tablename__ = "certification_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES}", name="ck_certification_requests_status"),
        Index(
            "uq_certification_requests_pending",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_certification_requests_queue", "status", "submitted_at"),
        Index(
            "ix_certification_requests_approved_until",
            "valid_until",
            postgresql_where=text("status = 'approved'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    sector_code: str = Field(
        sa_column=Column(String(20), ForeignKey("sectors.code"), nullable=False, index=True)
    )
    # The sector's name when the citizen chose it: what the request and the certification say.
    sector_name: str = Field(max_length=120)
    status: str = Field(default="pending", max_length=16)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    identity_document_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("documents.id"), nullable=False)
    )
    self_certification_document_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("documents.id"), nullable=False)
    )
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    decided_by: uuid.UUID | None = None
    outcome_reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    # Set by the approval: the certification subscriptions will refer to.
    certification_id: uuid.UUID | None = Field(default=None, unique=True)
    valid_from: date | None = None
    valid_until: date | None = None
    expired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
