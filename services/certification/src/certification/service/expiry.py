"""The end of approved certifications: when the last valid day has passed (in Caserta), the
certification expires, once, and subscriptions hear of it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from certification import repository
from certification.domain.validity import expired_on, local_date
from contracts.events import CertificationExpired
from kit.jobs import JobResult
from kit.outbox import emit


async def expire_certifications(session: AsyncSession, now: datetime) -> JobResult:
    expired = await repository.expire_approved(session, today=local_date(now), now=now)
    for request in expired:
        assert request.certification_id is not None and request.valid_until is not None
        await emit(
            session,
            CertificationExpired(
                certification_id=request.certification_id,
                user_id=request.user_id,
                sector_code=request.sector_code,
                expired_on=expired_on(request.valid_until),
            ),
        )
    return {"expired": len(expired)}
