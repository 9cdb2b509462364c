"""Queries over the certification service's tables (certification requests, sectors and approved
certifications)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from certification.domain.statuses import RequestStatus
from certification.models import CertificationRequest, Sector, citizens

PENDING = RequestStatus.PENDING.value
APPROVED = RequestStatus.APPROVED.value
EXPIRED = RequestStatus.EXPIRED.value


# Sectors.


def sectors(*, active: bool | None = None) -> SelectOfScalar[Sector]:
    statement = select(Sector).order_by(col(Sector.code))
    if active is not None:
        statement = statement.where(col(Sector.active).is_(active))
    return statement


async def sector(session: AsyncSession, code: str, *, for_update: bool = False) -> Sector | None:
    statement = select(Sector).where(col(Sector.code) == code)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def active_sectors(session: AsyncSession) -> list[Sector]:
    return list((await session.exec(sectors(active=True))).all())


# The citizens read model.


async def citizen(session: AsyncSession, user_id: uuid.UUID) -> RowMapping | None:
    """What identity's events told of the citizen (None until the first arrived)."""
    statement = sa_select(citizens).where(citizens.c.user_id == user_id)
    return (await session.exec(statement)).mappings().first()  # type: ignore[call-overload]


# Requests.


def requests_of(user_id: uuid.UUID) -> SelectOfScalar[CertificationRequest]:
    """A citizen's requests, newest first."""
    return (
        select(CertificationRequest)
        .where(col(CertificationRequest.user_id) == user_id)
        .order_by(col(CertificationRequest.submitted_at).desc(), col(CertificationRequest.id).desc())
    )


def review_queue(*, status: str | None, sector_code: str | None, user_id: uuid.UUID | None) -> Select[Any]:
    """Requests with their citizen's name (when known), oldest first: the operators' queue."""
    statement = (
        select(
            CertificationRequest,
            citizens.c.first_name,
            citizens.c.last_name,
            citizens.c.tax_code,
            citizens.c.email,
        )
        .outerjoin(citizens, citizens.c.user_id == CertificationRequest.user_id)
        .order_by(col(CertificationRequest.submitted_at), col(CertificationRequest.id))
    )
    if status is not None:
        statement = statement.where(col(CertificationRequest.status) == status)
    if sector_code is not None:
        statement = statement.where(col(CertificationRequest.sector_code) == sector_code)
    if user_id is not None:
        statement = statement.where(col(CertificationRequest.user_id) == user_id)
    return statement


async def request(session: AsyncSession, request_id: uuid.UUID) -> CertificationRequest | None:
    return await session.get(CertificationRequest, request_id)


async def pending_request_of(session: AsyncSession, user_id: uuid.UUID) -> CertificationRequest | None:
    return (
        await session.exec(
            select(CertificationRequest)
            .where(col(CertificationRequest.user_id) == user_id)
            .where(col(CertificationRequest.status) == PENDING)
        )
    ).first()


async def decide(session: AsyncSession, request_id: uuid.UUID, **values: Any) -> CertificationRequest | None:
    """Move a pending request to its decision in one conditional statement: of two operators
    deciding at once, the second waits for the first's row lock, then finds it no longer
    pending and gets None."""
    statement = (
        update(CertificationRequest)
        .where(col(CertificationRequest.id) == request_id)
        .where(col(CertificationRequest.status) == PENDING)
        .values(**values)
        .returning(CertificationRequest)
        .execution_options(populate_existing=True)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.scalars().first()


async def expire_approved(session: AsyncSession, *, today: date, now: datetime) -> list[CertificationRequest]:
    """Approved certifications whose last valid day is before ``today``, now expired (each
    once: the condition on the status excludes what an earlier run expired)."""
    statement = (
        update(CertificationRequest)
        .where(col(CertificationRequest.status) == APPROVED)
        .where(col(CertificationRequest.valid_until) < today)
        .values(status=EXPIRED, expired_at=now)
        .returning(CertificationRequest)
        .execution_options(populate_existing=True)
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return list(result.scalars().all())
