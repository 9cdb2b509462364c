"""Periodic jobs of the subscriptions service, declared in one place; each runs once per period across
replicas (``kit.jobs``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.jobs import Job, JobResult
from subscriptions.runtime import Runtime
from subscriptions.service.deadlines import expire_unpaid_requests, send_payment_reminders

PAYMENT_REMINDERS = "payment-reminders"
EXPIRE_UNPAID_REQUESTS = "expire-unpaid-requests"


def build_jobs(rt: Runtime) -> list[Job]:
    async def remind(session: AsyncSession, now: datetime) -> JobResult:
        return await send_payment_reminders(session, rt, now)

    async def expire(session: AsyncSession, now: datetime) -> JobResult:
        return await expire_unpaid_requests(session, rt, now)

    every = timedelta(seconds=rt.settings.payment_jobs_interval_s)
    return [
        Job(PAYMENT_REMINDERS, every=every, run=remind),
        Job(EXPIRE_UNPAID_REQUESTS, every=every, run=expire),
    ]
