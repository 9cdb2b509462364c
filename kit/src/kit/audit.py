"""The audit trail of operators' decisions: who did what to which request, when and why.
Written in the same transaction as the decision, never updated, read on the request's page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_trail",
        metadata,
        Column("id", Uuid, primary_key=True, default=uuid.uuid4),
        Column("subject_type", String(40), nullable=False),
        Column("subject_id", Uuid, nullable=False, index=True),
        Column("action", String(40), nullable=False),
        Column("actor_id", Uuid, nullable=False),
        Column("actor_role", String(20), nullable=False),
        Column("actor_email", String(320)),
        Column("reason", Text),
        Column("details", JSONB, nullable=False, server_default="{}"),
        Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # The order of writing: decisions of one transaction share their ``at``.
        Column("seq", BigInteger, Identity(), nullable=False),
    )


class AuditEntry(BaseModel):
    action: str
    actor_id: uuid.UUID
    actor_role: str
    actor_email: str | None
    reason: str | None
    details: dict[str, Any]
    at: datetime


async def record_decision(
    session: AsyncSession,
    table: Table,
    *,
    subject_type: str,
    subject_id: uuid.UUID,
    action: str,
    actor: Principal,
    at: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await session.exec(
        table.insert().values(
            id=uuid.uuid4(),
            subject_type=subject_type,
            subject_id=subject_id,
            action=action,
            actor_id=actor.user_id,
            actor_role=actor.role,
            actor_email=actor.email,
            reason=reason,
            details=details or {},
            at=at,
        )
    )


async def trail_of(session: AsyncSession, table: Table, subject_id: uuid.UUID) -> list[AuditEntry]:
    rows = await session.exec(
        select(table).where(table.c.subject_id == subject_id).order_by(table.c.at, table.c.seq)
    )
    return [
        AuditEntry(
            action=r.action,
            actor_id=r.actor_id,
            actor_role=r.actor_role,
            actor_email=r.actor_email,
            reason=r.reason,
            details=r.details or {},
            at=r.at,
        )
        for r in rows
    ]
