"""The trail of a subscription request (``kit.audit``): who did what to it, when and why.
Written in the same transaction as the change it records. What the service does by itself
(an expiry, a payment's outcome) is recorded as done by ``SYSTEM``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.audit import AuditEntry, record_decision, trail_of
from kit.auth import Principal
from subscriptions.models import audit

SUBJECT = "subscription_request"
# Not a person: the service itself (jobs, payments reported by billing).
SYSTEM = Principal(uuid.UUID(int=0), "system", None)  # type: ignore[arg-type]


async def record(
    session: AsyncSession,
    request_id: uuid.UUID,
    action: str,
    *,
    actor: Principal,
    at: datetime,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await record_decision(
        session,
        audit,
        subject_type=SUBJECT,
        subject_id=request_id,
        action=action,
        actor=actor,
        at=at,
        reason=reason,
        details=details,
    )


async def of_request(session: AsyncSession, request_id: uuid.UUID) -> list[AuditEntry]:
    return await trail_of(session, audit, request_id)
