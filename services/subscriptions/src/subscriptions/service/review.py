"""Operators' review of subscription requests: the queue, a request with the citizen's
certification and plate beside it, and the decision (approve, or reject with a reason). Two
operators deciding the same request at once: exactly one decision counts, the other is told.

Approving opens the payment: billing hears ``SubscriptionRequestApproved`` with the gross
amount and the last day to pay. A free type (0 cents) has nothing to pay: approving it
activates the subscription at once, and only ``SubscriptionActivated`` is emitted (an approval
event would make billing open a payment order of zero)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import SubscriptionRequestApproved, SubscriptionRequestRejected
from kit.auth import Principal
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from kit.review import rejection_reason, request_already_decided
from subscriptions import repository, schemas
from subscriptions.domain import errors
from subscriptions.domain.decisions import pay_by
from subscriptions.domain.periods import local_date
from subscriptions.domain.statuses import RequestStatus
from subscriptions.domain.text import normalize_plate
from subscriptions.models import SubscriptionRequest
from subscriptions.runtime import Runtime
from subscriptions.service import trail
from subscriptions.service.subscriptions import activate, ensure_period_free, revoke_if_plate_gone
from subscriptions.service.views import (
    admin_summary,
    certification_facts,
    payment_view,
    plate_facts,
    request_fields,
)


async def queue(
    session: AsyncSession,
    page: PageRequest,
    *,
    status: str | None = None,
    user_id: uuid.UUID | None = None,
    plate: str | None = None,
) -> Page[schemas.AdminRequestSummary]:
    """Requests oldest first, filtered by status, citizen and plate."""
    plate_number = normalize_plate(plate) if plate else None
    if plate and plate_number is None:
        return Page[schemas.AdminRequestSummary](items=[], total=0, limit=page.limit, offset=page.offset)
    statement = repository.review_queue(status=status, user_id=user_id, plate_number=plate_number)
    return await paginate(session, statement, page, lambda row: admin_summary(row[0], row[1]))


async def _request(session: AsyncSession, request_id: uuid.UUID) -> SubscriptionRequest:
    request = await repository.request(session, request_id)
    if request is None:
        raise errors.request_not_found()
    return request


async def detail_view(
    session: AsyncSession, rt: Runtime, request: SubscriptionRequest
) -> schemas.AdminRequestDetail:
    today = local_date(rt.clock.now())
    certification = (
        await repository.certification(session, request.certification_id)
        if request.certification_id is not None
        else None
    )
    subscription = await repository.subscription_of_request(session, request.id)
    return schemas.AdminRequestDetail(
        **request_fields(request, subscription.id if subscription else None),
        user_id=request.user_id,
        decided_by=request.decided_by,
        reminded_at=request.reminded_at,
        expired_at=request.expired_at,
        certification=certification_facts(certification, request.user_id, today),
        vehicle=plate_facts(await repository.plate(session, request.plate_id)),
        payments=[payment_view(p) for p in await repository.payments_of_request(session, request.id)],
        audit=await trail.of_request(session, request.id),
    )


async def detail(session: AsyncSession, rt: Runtime, request_id: uuid.UUID) -> schemas.AdminRequestDetail:
    return await detail_view(session, rt, await _request(session, request_id))


async def _decided(session: AsyncSession, request_id: uuid.UUID, **values: Any) -> SubscriptionRequest:
    """The request moved from pending to its decision, or why it could not be."""
    decided = await repository.decide(session, request_id, **values)
    if decided is None:
        await _request(session, request_id)  # not found…
        raise request_already_decided()  # …or another operator was first
    return decided


async def approve(
    session: AsyncSession, rt: Runtime, operator: Principal, request_id: uuid.UUID
) -> schemas.AdminRequestDetail:
    now = rt.clock.now()
    # Decided under the plate's lock, like a payment, and read again once it is held: another
    # operator may have decided it meanwhile, and a plate that meanwhile got a subscription
    # over these days (a late payment of an earlier request) is not asked to pay for them again.
    await repository.lock_plate(session, (await _request(session, request_id)).plate)
    request = await _request(session, request_id)
    if request.status != RequestStatus.PENDING:
        raise request_already_decided()
    await ensure_period_free(session, request)
    if request.amount_cents == 0:
        request = await _decided(
            session,
            request_id,
            status=RequestStatus.PAID.value,
            decided_at=now,
            decided_by=operator.user_id,
            paid_at=now,
        )
        subscription = await activate(session, request, at=now)
        await trail.record(
            session,
            request.id,
            "approved",
            actor=operator,
            at=now,
            details={"amount_cents": 0, "subscription_id": str(subscription.id)},
        )
        await revoke_if_plate_gone(session, subscription, now=now)
        return await detail_view(session, rt, request)
    deadline = pay_by(local_date(now), rt.settings.payment_deadline_days)
    request = await _decided(
        session,
        request_id,
        status=RequestStatus.APPROVED.value,
        decided_at=now,
        decided_by=operator.user_id,
        pay_by=deadline,
    )
    await trail.record(
        session,
        request.id,
        "approved",
        actor=operator,
        at=now,
        details={"amount_cents": request.amount_cents, "pay_by": deadline.isoformat()},
    )
    await _emit_approved(session, request)
    return await detail_view(session, rt, request)


async def _emit_approved(session: AsyncSession, request: SubscriptionRequest) -> None:
    assert request.pay_by is not None and request.decided_at is not None
    await emit(
        session,
        SubscriptionRequestApproved(
            request_id=request.id,
            user_id=request.user_id,
            plate=request.plate,
            sector_code=request.sector_code,
            subscription_type_code=request.subscription_type_code,
            description=request.description,
            amount_cents=request.amount_cents,
            currency=request.currency,
            pay_by=request.pay_by,
            decided_at=request.decided_at,
        ),
    )


async def reject(
    session: AsyncSession, rt: Runtime, operator: Principal, request_id: uuid.UUID, reason: str | None
) -> schemas.AdminRequestDetail:
    """Rejected with the reason the citizen will read; the plate is free for a new request."""
    text = rejection_reason(reason)
    now = rt.clock.now()
    request = await _decided(
        session,
        request_id,
        status=RequestStatus.REJECTED.value,
        decided_at=now,
        decided_by=operator.user_id,
        outcome_reason=text,
    )
    await trail.record(session, request.id, "rejected", actor=operator, at=now, reason=text)
    await emit(
        session,
        SubscriptionRequestRejected(
            request_id=request.id, user_id=request.user_id, reason=text, decided_at=now
        ),
    )
    return await detail_view(session, rt, request)
