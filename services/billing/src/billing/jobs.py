"""Background work of the billing service, declared in one place: periodic jobs, run once per
period across replicas (``kit.jobs``), and workers, run on every replica (``kit.worker``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from billing.models import SANDBOX_NOTIFY_CHANNEL
from billing.runtime import Runtime
from billing.service.orders import expire_overdue
from billing.service.reconciliation import reconcile
from kit.app import Worker
from kit.jobs import Job, JobResult
from kit.wakeup import NotifyWakeup
from kit.worker import run_worker

RECONCILE_PAYMENTS = "reconcile_payments"
EXPIRE_OVERDUE_ORDERS = "expire_overdue_orders"


def build_jobs(rt: Runtime) -> list[Job]:
    settings = rt.settings

    async def reconcile_payments(session: AsyncSession, now: datetime) -> JobResult:
        return await reconcile(session, rt, now)

    async def expire_overdue_orders(session: AsyncSession, now: datetime) -> JobResult:
        return await expire_overdue(session, rt, now)

    return [
        Job(
            RECONCILE_PAYMENTS,
            every=timedelta(seconds=settings.reconciliation_interval_s),
            run=reconcile_payments,
        ),
        Job(
            EXPIRE_OVERDUE_ORDERS,
            every=timedelta(seconds=settings.expiry_interval_s),
            run=expire_overdue_orders,
        ),
    ]


def build_workers(rt: Runtime) -> list[Worker]:
    sandbox = rt.sandbox
    if sandbox is None or not rt.settings.sandbox_send_notifications:
        return []

    async def send_sandbox_notifications() -> None:
        """The sandbox provider's notifications, posted to billing until accepted; woken by
        the transaction that stores one, polling as a fallback."""
        wakeup = NotifyWakeup(rt.db.url, SANDBOX_NOTIFY_CHANNEL)
        try:
            await run_worker(
                "sandbox_notifications",
                sandbox.deliver_due,
                poll_interval_s=rt.settings.sandbox_notify_poll_s,
                wakeup=wakeup,
                backoff=sandbox.backoff,
            )
        finally:
            await wakeup.close()

    return [send_sandbox_notifications]
