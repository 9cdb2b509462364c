"""The payment's deadline of approved requests, run by the jobs (``subscriptions.jobs``): a
reminder a few days before the last day to pay, and the expiry of what was not paid by then.
Each happens once per request: the conditional update that records it excludes what an
earlier run (on any replica) already did."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import PaymentReminderDue, UnpaidRequestExpired
from kit.jobs import JobResult
from kit.outbox import emit
from subscriptions import repository
from subscriptions.domain.periods import local_date
from subscriptions.runtime import Runtime
from subscriptions.service import trail


async def send_payment_reminders(session: AsyncSession, rt: Runtime, now: datetime) -> JobResult:
    reminded = await repository.remind_due(
        session, today=local_date(now), days_before=rt.settings.payment_reminder_days_before, now=now
    )
    for request in reminded:
        assert request.pay_by is not None
        await emit(
            session,
            PaymentReminderDue(
                request_id=request.id,
                user_id=request.user_id,
                plate=request.plate,
                description=request.description,
                amount_cents=request.amount_cents,
                currency=request.currency,
                pay_by=request.pay_by,
            ),
        )
    return {"reminded": len(reminded)}


async def expire_unpaid_requests(session: AsyncSession, rt: Runtime, now: datetime) -> JobResult:
    expired = await repository.expire_unpaid(session, today=local_date(now), now=now)
    for request in expired:
        await trail.record(
            session,
            request.id,
            "expired_unpaid",
            actor=trail.SYSTEM,
            at=now,
            details={"pay_by": request.pay_by.isoformat() if request.pay_by else None},
        )
        await emit(
            session, UnpaidRequestExpired(request_id=request.id, user_id=request.user_id, expired_at=now)
        )
    return {"expired": len(expired)}
