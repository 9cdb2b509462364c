"""The reconciliation (job ``reconcile_payments``): a checkout started long ago whose outcome
never arrived is asked about at the provider. A payment the provider collected is recorded as
if its notification had come (once: a notification arriving later changes nothing); a checkout
past its session's life without payment is closed, so the citizen can start a new one."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from billing import repository
from billing.models import PaymentOrder
from billing.provider import PositionStatus
from billing.runtime import Runtime
from billing.service.payments import Outcome, apply_outcome
from kit.errors import DomainError

log = structlog.get_logger(__name__)


async def reconcile(session: AsyncSession, rt: Runtime, now: datetime) -> dict[str, int]:
    settings = rt.settings
    cutoff = now - timedelta(seconds=settings.reconciliation_after_s)
    payments = await repository.open_payments_started_before(session, cutoff, settings.reconciliation_batch)
    counts = {"checked": 0, "paid": 0, "closed": 0, "pending": 0, "anomalies": 0}
    statuses: dict[str, PositionStatus] = {}
    for payment in payments:
        order = await session.get(PaymentOrder, payment.order_id)
        assert order is not None
        counts["checked"] += 1
        status = statuses.get(order.notice_number)
        if status is None:
            status = statuses[order.notice_number] = await rt.provider.status(order.notice_number)
        try:
            if status.state == "paid" and status.payment is not None:
                collected = status.payment
                result = await apply_outcome(
                    session,
                    rt,
                    Outcome(
                        notice_number=order.notice_number,
                        session_id=collected.session_id,
                        kind="paid",
                        occurred_at=collected.paid_at,
                        source="reconciliation",
                        amount_cents=collected.amount_cents,
                        currency=collected.currency,
                        transaction_id=collected.transaction_id,
                    ),
                )
                counts["paid"] += result == "applied"
            elif (
                payment.expires_at or payment.started_at + timedelta(seconds=settings.checkout_ttl_s)
            ) <= now:
                await apply_outcome(
                    session,
                    rt,
                    Outcome(
                        notice_number=order.notice_number,
                        session_id=payment.session_id,
                        kind="expired",
                        occurred_at=now,
                        source="reconciliation",
                    ),
                )
                counts["closed"] += 1
            else:
                counts["pending"] += 1
        except DomainError as exc:
            # Refused before anything was written (an amount that does not match): left for an
            # operator, and the other payments are still reconciled.
            log.error("reconciliation.anomaly", notice_number=order.notice_number, code=exc.code)
            counts["anomalies"] += 1
    return counts
