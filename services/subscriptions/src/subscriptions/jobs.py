"""Periodic jobs of the subscriptions service, declared in one place; each runs once per period across
replicas (``kit.jobs``): the payment's deadline of approved requests (``service.deadlines``), and
the reminders before a subscription's end and its expiry (``service.lifecycle``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.jobs import Job, JobResult
from subscriptions.runtime import Runtime
from subscriptions.service.deadlines import expire_unpaid_requests, send_payment_reminders
from subscriptions.service.lifecycle import expire_subscriptions, send_expiry_reminders

PAYMENT_REMINDERS = "payment-reminders"
EXPIRE_UNPAID_REQUESTS = "expire-unpaid-requests"
EXPIRY_REMINDERS = "subscription-expiry-reminders"
EXPIRE_SUBSCRIPTIONS = "expire-subscriptions"


def build_jobs(rt: Runtime) -> list[Job]:
    async def remind(session: AsyncSession, now: datetime) -> JobResult:
        return await send_payment_reminders(session, rt, now)

    async def expire(session: AsyncSession, now: datetime) -> JobResult:
        return await expire_unpaid_requests(session, rt, now)

    async def remind_ending(session: AsyncSession, now: datetime) -> JobResult:
        return await send_expiry_reminders(session, now, window_days=rt.settings.renewal_window_days)

    every = timedelta(seconds=rt.settings.payment_jobs_interval_s)
    lifecycle_every = timedelta(seconds=rt.settings.subscription_jobs_interval_s)
    return [
        Job(PAYMENT_REMINDERS, every=every, run=remind),
        Job(EXPIRE_UNPAID_REQUESTS, every=every, run=expire),
        Job(EXPIRY_REMINDERS, every=lifecycle_every, run=remind_ending),
        Job(EXPIRE_SUBSCRIPTIONS, every=lifecycle_every, run=expire_subscriptions),
    ]
