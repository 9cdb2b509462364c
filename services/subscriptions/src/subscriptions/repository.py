"""Queries over the subscriptions service's tables (subscription types, requests, subscriptions,
payments, and the read models of certifications and plates)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased
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
    Ticket,
    TicketSerialCounter,
)

PENDING = RequestStatus.PENDING.value
APPROVED = RequestStatus.APPROVED.value
ACTIVE = SubscriptionStatus.ACTIVE.value
REVOKED = SubscriptionStatus.REVOKED.value
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


async def all_types(session: AsyncSession) -> dict[str, SubscriptionType]:
    return {t.code: t for t in (await session.exec(types())).all()}


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


async def open_requests_of_plates(
    session: AsyncSession, plate_numbers: list[str]
) -> list[SubscriptionRequest]:
    if not plate_numbers:
        return []
    statement = (
        select(SubscriptionRequest)
        .where(col(SubscriptionRequest.plate).in_(plate_numbers))
        .where(col(SubscriptionRequest.status).in_(OPEN_STATUSES))
    )
    return list((await session.exec(statement)).all())


async def subscriptions_of_plates(session: AsyncSession, plate_numbers: list[str]) -> list[Subscription]:
    """The subscriptions of these plates that still count (not revoked), by start."""
    if not plate_numbers:
        return []
    statement = (
        select(Subscription)
        .where(col(Subscription.plate).in_(plate_numbers))
        .where(col(Subscription.status) != REVOKED)
        .order_by(col(Subscription.valid_from))
    )
    return list((await session.exec(statement)).all())


async def requests_by_id(
    session: AsyncSession, request_ids: list[uuid.UUID]
) -> dict[uuid.UUID, SubscriptionRequest]:
    if not request_ids:
        return {}
    statement = select(SubscriptionRequest).where(col(SubscriptionRequest.id).in_(request_ids))
    return {r.id: r for r in (await session.exec(statement)).all()}


# A subscription's life: tickets, reminders, expiry, revocation, enforcement.


async def subscription(
    session: AsyncSession, subscription_id: uuid.UUID, *, for_update: bool = False
) -> Subscription | None:
    statement = select(Subscription).where(col(Subscription.id) == subscription_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement.execution_options(populate_existing=True))).first()


async def subscription_by_serial(session: AsyncSession, serial: str) -> Subscription | None:
    return (await session.exec(select(Subscription).where(col(Subscription.serial) == serial))).first()


async def every_subscription_of_plate(session: AsyncSession, plate_number: str) -> list[Subscription]:
    """Every subscription of the plate, revoked ones too (enforcement says so), by start."""
    statement = (
        select(Subscription)
        .where(col(Subscription.plate) == plate_number)
        .order_by(col(Subscription.valid_from), col(Subscription.activated_at))
    )
    return list((await session.exec(statement)).all())


async def allocate_ticket_serial(session: AsyncSession, year: int) -> int:
    """The next ticket serial of ``year``. The counter's row stays locked until the transaction
    ends: activations at once take consecutive numbers, and a rolled-back one gives its number
    back."""
    table = TicketSerialCounter.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(year=year, last_number=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last_number": table.c.last_number + 1})
        .returning(table.c.last_number)
    )
    return int((await session.exec(statement)).scalar_one())  # type: ignore[call-overload]


async def ticket_of(session: AsyncSession, subscription_id: uuid.UUID) -> Ticket | None:
    statement = select(Ticket).where(col(Ticket.subscription_id) == subscription_id)
    return (await session.exec(statement.execution_options(populate_existing=True))).first()


async def save_ticket(session: AsyncSession, ticket: Ticket, *, replacing_kid: str | None) -> Ticket:
    """Store a subscription's ticket: the first one, or one signed anew in place of the ticket of
    ``replacing_kid`` (a revoked key). Of two downloads at once, the first ticket stored is the
    one both answer."""
    table = Ticket.__table__  # type: ignore[attr-defined]
    values = {
        "subscription_id": ticket.subscription_id,
        "kid": ticket.kid,
        "token": ticket.token,
        "issued_at": ticket.issued_at,
    }
    statement = insert(table).values(**values)
    if replacing_kid is None:
        statement = statement.on_conflict_do_nothing(index_elements=["subscription_id"])
    else:
        statement = statement.on_conflict_do_update(
            index_elements=["subscription_id"],
            set_={"kid": ticket.kid, "token": ticket.token, "issued_at": ticket.issued_at},
            where=table.c.kid == replacing_kid,
        )
    await session.exec(statement)  # type: ignore[call-overload]
    stored = await ticket_of(session, ticket.subscription_id)
    assert stored is not None
    return stored


async def kids_of_current_tickets(session: AsyncSession, *, today: date) -> set[str]:
    """The keys that signed tickets of subscriptions not revoked and not ended before ``today``."""
    statement = (
        select(Ticket.kid)
        .join(Subscription, col(Subscription.id) == col(Ticket.subscription_id))
        .where(col(Subscription.status) != REVOKED)
        .where(col(Subscription.valid_until) >= today)
        .distinct()
    )
    return set((await session.exec(statement)).all())


async def _update_subscriptions(session: AsyncSession, statement: Any) -> list[Subscription]:
    result = await session.exec(  # type: ignore[call-overload]
        statement.returning(Subscription).execution_options(populate_existing=True)
    )
    return list(result.scalars().all())


def _not_renewed() -> Any:
    """No subscription of the plate starts, nor does an open request ask to start, the day after
    the subscription's last one: it has not been renewed (nor is it being)."""
    following = aliased(Subscription)
    day_after = col(Subscription.valid_until) + 1
    return and_(
        ~exists().where(
            following.plate == Subscription.plate,
            following.status != REVOKED,
            following.valid_from == day_after,
        ),
        ~exists().where(
            col(SubscriptionRequest.plate) == col(Subscription.plate),
            col(SubscriptionRequest.status).in_(OPEN_STATUSES),
            col(SubscriptionRequest.valid_from) == day_after,
        ),
    )


async def remind_ending(
    session: AsyncSession, *, days_before: int, today: date, now: datetime
) -> list[Subscription]:
    """Active subscriptions whose last day is at most ``days_before`` days away, neither renewed
    nor reminded for this threshold yet: now marked reminded (each once, whichever replica runs
    the job). The 7-day reminder also marks the 30-day one: a subscription met for the first
    time within its last week gets one e-mail, not two."""
    column = {30: "reminded_30_at", 7: "reminded_7_at"}[days_before]
    values: dict[str, Any] = {column: now}
    if days_before == 7:
        values["reminded_30_at"] = func.coalesce(col(Subscription.reminded_30_at), now)
    return await _update_subscriptions(
        session,
        update(Subscription)
        .where(col(Subscription.status) == ACTIVE)
        .where(getattr(Subscription, column).is_(None))
        .where(col(Subscription.valid_until) >= today)
        .where(col(Subscription.valid_until) <= today + timedelta(days=days_before))
        .where(_not_renewed())
        .values(**values),
    )


async def expire_ended(session: AsyncSession, *, today: date, now: datetime) -> list[Subscription]:
    """Active subscriptions whose last day has passed: now expired (each once)."""
    return await _update_subscriptions(
        session,
        update(Subscription)
        .where(col(Subscription.status) == ACTIVE)
        .where(col(Subscription.valid_until) < today)
        .values(status=SubscriptionStatus.EXPIRED.value, expired_at=now),
    )


async def revoke_of_plate(
    session: AsyncSession, plate_id: uuid.UUID, *, from_day: date, at: datetime, reason: str
) -> list[Subscription]:
    """The active subscriptions of a plate association that still cover ``from_day`` or start
    later: now revoked (each once: a revoked one is not active)."""
    return await _update_subscriptions(
        session,
        update(Subscription)
        .where(col(Subscription.plate_id) == plate_id)
        .where(col(Subscription.status) == ACTIVE)
        .where(col(Subscription.valid_until) >= from_day)
        .values(status=REVOKED, revoked_at=at, revoked_reason=reason),
    )
