"""Queries over the subscriptions service's tables (subscription types, requests, subscriptions,
payments, and the read models of certifications and plates)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from subscriptions.domain.statuses import OPEN, RequestStatus, SubscriptionStatus
from subscriptions.models import (
    CitizenCertification,
    CitizenPlate,
    Subscription,
    SubscriptionPayment,
    SubscriptionRequest,
    SubscriptionType,
)

PENDING = RequestStatus.PENDING.value
APPROVED = RequestStatus.APPROVED.value
OPEN_STATUSES = sorted(status.value for status in OPEN)


# The read models.


async def certification(session: AsyncSession, certification_id: uuid.UUID) -> CitizenCertification | None:
    return await session.get(CitizenCertification, certification_id)


async def plate(session: AsyncSession, plate_id: uuid.UUID) -> CitizenPlate | None:
    return await session.get(CitizenPlate, plate_id)


async def certifications_of(session: AsyncSession, user_id: uuid.UUID) -> list[CitizenCertification]:
    statement = (
        select(CitizenCertification)
        .where(col(CitizenCertification.user_id) == user_id)
        .order_by(col(CitizenCertification.sector_code), col(CitizenCertification.certification_id))
    )
    return list((await session.exec(statement)).all())


async def plates_of(session: AsyncSession, user_id: uuid.UUID) -> list[CitizenPlate]:
    statement = (
        select(CitizenPlate)
        .where(col(CitizenPlate.user_id) == user_id)
        .order_by(col(CitizenPlate.plate), col(CitizenPlate.plate_id))
    )
    return list((await session.exec(statement)).all())


# Subscription types.


def types(*, active: bool | None = None, sector_code: str | None = None) -> SelectOfScalar[SubscriptionType]:
    """Types by code; with ``sector_code``, only those valid in that sector."""
    statement = select(SubscriptionType).order_by(col(SubscriptionType.code))
    if active is not None:
        statement = statement.where(col(SubscriptionType.active).is_(active))
    if sector_code is not None:
        statement = statement.where(
            or_(col(SubscriptionType.all_sectors), col(SubscriptionType.sector_codes).contains([sector_code]))
        )
    return statement


async def subscription_type(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> SubscriptionType | None:
    statement = select(SubscriptionType).where(col(SubscriptionType.code) == code)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def active_types(session: AsyncSession) -> list[SubscriptionType]:
    return list((await session.exec(types(active=True))).all())


async def insert_type_if_missing(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a type unless its code exists; whether it was inserted."""
    inserted = await session.exec(
        insert(SubscriptionType)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(col(SubscriptionType.code))
    )
    return inserted.first() is not None


# Requests.


async def lock_plate(session: AsyncSession, plate_number: str) -> None:
    """Serialize, until the transaction ends, everything that decides on one plate's requests and
    subscriptions (sending a request, approving it, activating it on payment): each then reads
    what the previous one committed. Always taken before any row lock, so it cannot deadlock."""
    await session.exec(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),  # type: ignore[call-overload]
        params={"key": f"subscriptions.plate:{plate_number}"},
    )


async def open_request_for_plate(session: AsyncSession, plate_number: str) -> SubscriptionRequest | None:
    statement = (
        select(SubscriptionRequest)
        .where(col(SubscriptionRequest.plate) == plate_number)
        .where(col(SubscriptionRequest.status).in_(OPEN_STATUSES))
    )
    return (await session.exec(statement)).first()


def requests_of(user_id: uuid.UUID) -> Select[Any]:
    """A citizen's requests with their subscription's id (once paid), newest first."""
    return (
        _with_subscription_id()
        .where(col(SubscriptionRequest.user_id) == user_id)
        .order_by(col(SubscriptionRequest.submitted_at).desc(), col(SubscriptionRequest.id).desc())
    )


def review_queue(*, status: str | None, user_id: uuid.UUID | None, plate_number: str | None) -> Select[Any]:
    """Requests with their subscription's id, oldest first: the operators' queue."""
    statement = _with_subscription_id().order_by(
        col(SubscriptionRequest.submitted_at), col(SubscriptionRequest.id)
    )
    if status is not None:
        statement = statement.where(col(SubscriptionRequest.status) == status)
    if user_id is not None:
        statement = statement.where(col(SubscriptionRequest.user_id) == user_id)
    if plate_number is not None:
        statement = statement.where(col(SubscriptionRequest.plate) == plate_number)
    return statement


def _with_subscription_id() -> Select[Any]:
    return select(SubscriptionRequest, col(Subscription.id)).outerjoin(
        Subscription, col(Subscription.request_id) == col(SubscriptionRequest.id)
    )


async def request(
    session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False
) -> SubscriptionRequest | None:
    statement = select(SubscriptionRequest).where(col(SubscriptionRequest.id) == request_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement.execution_options(populate_existing=True))).first()


async def own_request(
    session: AsyncSession, user_id: uuid.UUID, request_id: uuid.UUID
) -> SubscriptionRequest | None:
    found = await request(session, request_id)
    return found if found is not None and found.user_id == user_id else None


async def _update_returning(session: AsyncSession, statement: Any) -> list[SubscriptionRequest]:
    result = await session.exec(  # type: ignore[call-overload]
        statement.returning(SubscriptionRequest).execution_options(populate_existing=True)
    )
    return list(result.scalars().all())


async def decide(session: AsyncSession, request_id: uuid.UUID, **values: Any) -> SubscriptionRequest | None:
    """Move a pending request to its decision in one conditional statement: of two operators
    deciding at once, the second waits for the first's row lock, then finds it no longer
    pending and gets None."""
    decided = await _update_returning(
        session,
        update(SubscriptionRequest)
        .where(col(SubscriptionRequest.id) == request_id)
        .where(col(SubscriptionRequest.status) == PENDING)
        .values(**values),
    )
    return decided[0] if decided else None


async def remind_due(
    session: AsyncSession, *, today: date, days_before: int, now: datetime
) -> list[SubscriptionRequest]:
    """Approved requests whose deadline is at most ``days_before`` days away and not past, not
    reminded yet: now marked reminded (each once, whichever replica runs the job)."""
    return await _update_returning(
        session,
        update(SubscriptionRequest)
        .where(col(SubscriptionRequest.status) == APPROVED)
        .where(col(SubscriptionRequest.reminded_at).is_(None))
        .where(col(SubscriptionRequest.pay_by) >= today)
        .where(col(SubscriptionRequest.pay_by) <= today + timedelta(days=days_before))
        .values(reminded_at=now),
    )


async def expire_unpaid(session: AsyncSession, *, today: date, now: datetime) -> list[SubscriptionRequest]:
    """Approved requests whose last day to pay has passed: now expired (each once)."""
    return await _update_returning(
        session,
        update(SubscriptionRequest)
        .where(col(SubscriptionRequest.status) == APPROVED)
        .where(col(SubscriptionRequest.pay_by) < today)
        .values(status=RequestStatus.EXPIRED_UNPAID.value, expired_at=now),
    )


# Subscriptions.


async def subscriptions_of_plate(session: AsyncSession, plate_number: str) -> list[Subscription]:
    """The plate's subscriptions that still count (not revoked), by start."""
    statement = (
        select(Subscription)
        .where(col(Subscription.plate) == plate_number)
        .where(col(Subscription.status) != SubscriptionStatus.REVOKED.value)
        .order_by(col(Subscription.valid_from))
    )
    return list((await session.exec(statement)).all())


def subscriptions_of(user_id: uuid.UUID) -> Select[tuple[Subscription, int]]:
    """A citizen's subscriptions, the latest period first, each with the amount of its request
    (0: free, nothing was paid)."""
    return (
        select(Subscription, SubscriptionRequest.amount_cents)
        .join(SubscriptionRequest, col(SubscriptionRequest.id) == col(Subscription.request_id))
        .where(col(Subscription.user_id) == user_id)
        .order_by(col(Subscription.valid_from).desc(), col(Subscription.id).desc())
    )


async def subscription_of_request(session: AsyncSession, request_id: uuid.UUID) -> Subscription | None:
    statement = select(Subscription).where(col(Subscription.request_id) == request_id)
    return (await session.exec(statement)).first()


# Payments.


async def payment(session: AsyncSession, payment_id: uuid.UUID) -> SubscriptionPayment | None:
    return await session.get(SubscriptionPayment, payment_id)


async def payments_of_request(session: AsyncSession, request_id: uuid.UUID) -> list[SubscriptionPayment]:
    statement = (
        select(SubscriptionPayment)
        .where(col(SubscriptionPayment.request_id) == request_id)
        .order_by(col(SubscriptionPayment.paid_at), col(SubscriptionPayment.payment_id))
    )
    return list((await session.exec(statement)).all())
