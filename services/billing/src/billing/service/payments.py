"""Outcomes of payments, however they become known (the provider's notification, or the
reconciliation asking the provider): applied once, never moving a payment backwards.

A payment recorded as paid gets its receipt (numbered in the year's gapless sequence) and the
``PaymentCompleted`` event that activates the subscription, all in the same transaction as the
paid state; the order row is locked first, so two outcomes of one order never interleave.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import structlog
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from billing import repository
from billing.domain.money import vat_split
from billing.domain.orders import OrderStatus, PaymentStatus, transition
from billing.domain.receipts import period_from_description, receipt_number, rome_date
from billing.models import Payment, PaymentOrder, Receipt
from billing.runtime import Runtime
from contracts.events import PaymentCompleted, PaymentFailed
from kit.errors import Conflict, NotFound
from kit.outbox import emit

log = structlog.get_logger(__name__)

OutcomeKind = Literal["paid", "failed", "cancelled", "expired"]
Result = Literal["applied", "duplicate", "ignored"]

# What a citizen's order shows after a checkout that ended without payment. A checkout that
# timed out counts as one the citizen left: it can be retried like a cancelled one.
_ORDER_AFTER = {
    "failed": OrderStatus.FAILED,
    "cancelled": OrderStatus.CANCELLED,
    "expired": OrderStatus.CANCELLED,
}


@dataclass(frozen=True)
class Outcome:
    notice_number: str
    session_id: str | None
    kind: OutcomeKind
    occurred_at: datetime
    source: Literal["notification", "reconciliation"]
    amount_cents: int | None = None
    currency: str = "EUR"
    transaction_id: str | None = None
    reason: str | None = None


def unknown_notice() -> NotFound:
    return NotFound("unknown_notice", "Avviso di pagamento sconosciuto.")


async def apply_outcome(session: AsyncSession, rt: Runtime, outcome: Outcome) -> Result:
    order = await repository.order_by_notice_for_update(session, outcome.notice_number)
    if order is None:
        raise unknown_notice()
    payment = await repository.payment_by_session(session, outcome.session_id) if outcome.session_id else None
    if payment is not None and payment.order_id != order.id:
        raise Conflict("session_mismatch", "La sessione di pagamento non appartiene a questo avviso.")
    if outcome.kind == "paid":
        return await _paid(session, rt, order, payment, outcome)
    return await _unsuccessful(session, rt, order, payment, outcome)


async def _paid(
    session: AsyncSession, rt: Runtime, order: PaymentOrder, payment: Payment | None, outcome: Outcome
) -> Result:
    if outcome.amount_cents != order.amount_cents or outcome.currency != order.currency:
        log.error(
            "payment.amount_mismatch",
            notice_number=order.notice_number,
            expected=order.amount_cents,
            notified=outcome.amount_cents,
        )
        raise Conflict("amount_mismatch", "L'importo notificato non corrisponde a quello dell'avviso.")
    if order.status == OrderStatus.PAID:
        if payment is not None and payment.status != PaymentStatus.PAID:
            # A second collection on a paid position: the provider should refuse it; if one
            # ever happens an operator must refund it.
            log.error(
                "payment.collected_twice", notice_number=order.notice_number, session=payment.session_id
            )
        return "duplicate"
    now = rt.clock.now()
    if payment is None:
        # Paid without a checkout of ours (or one whose record was lost): recorded all the same.
        payment = Payment(
            order_id=order.id,
            session_id=outcome.session_id or f"external:{order.notice_number}",
            status=PaymentStatus.PAID,
            started_at=outcome.occurred_at,
        )
    payment.status = PaymentStatus.PAID
    payment.finished_at = outcome.occurred_at
    payment.outcome_source = outcome.source
    payment.transaction_id = outcome.transaction_id
    session.add(payment)
    order.status = transition(order.status, OrderStatus.PAID)
    order.paid_at = outcome.occurred_at
    order.updated_at = now
    session.add(order)
    await session.flush()
    # Any other checkout still open on the order is over: the position is paid.
    await session.exec(
        update(Payment)
        .where(
            col(Payment.order_id) == order.id,
            col(Payment.id) != payment.id,
            col(Payment.status) == PaymentStatus.CHECKOUT_STARTED,
        )
        .values(status=PaymentStatus.CANCELLED, finished_at=now, outcome_source=outcome.source)
    )
    receipt = await _issue_receipt(session, rt, order, payment, outcome.occurred_at)
    await emit(
        session,
        PaymentCompleted(
            payment_id=payment.id,
            payment_order_id=order.id,
            request_id=order.request_id,
            user_id=order.user_id,
            amount_cents=order.amount_cents,
            currency=order.currency,
            receipt_number=receipt.number,
            paid_at=outcome.occurred_at,
        ),
    )
    log.info(
        "payment.completed",
        notice_number=order.notice_number,
        receipt_number=receipt.number,
        source=outcome.source,
    )
    return "applied"


async def _issue_receipt(
    session: AsyncSession, rt: Runtime, order: PaymentOrder, payment: Payment, paid_at: datetime
) -> Receipt:
    settings = rt.settings
    year = rome_date(paid_at).year
    sequence = await repository.allocate_receipt_sequence(session, year)
    payer = await repository.citizen(session, order.user_id)
    split = vat_split(order.amount_cents, settings.vat_rate_percent)
    receipt = Receipt(
        id=uuid.uuid4(),
        order_id=order.id,
        payment_id=payment.id,
        number=receipt_number(year, sequence),
        year=year,
        sequence=sequence,
        issued_at=rt.clock.now(),
        paid_at=paid_at,
        payer_name=f"{payer.first_name} {payer.last_name}" if payer is not None else None,
        payer_tax_code=payer.tax_code if payer is not None else order.payer_tax_code,
        plate=order.plate,
        description=order.description,
        period=period_from_description(order.description),
        amount_cents=split.gross_cents,
        net_cents=split.net_cents,
        vat_cents=split.vat_cents,
        vat_rate_percent=split.rate_percent,
        currency=order.currency,
        notice_number=order.notice_number,
        iuv=order.iuv,
        creditor_name=settings.creditor_name,
        creditor_tax_code=settings.creditor_tax_code,
        transaction_id=payment.transaction_id,
    )
    session.add(receipt)
    await session.flush()
    return receipt


async def _unsuccessful(
    session: AsyncSession, rt: Runtime, order: PaymentOrder, payment: Payment | None, outcome: Outcome
) -> Result:
    if payment is None:
        return "ignored"
    if payment.status != PaymentStatus.CHECKOUT_STARTED:
        return "duplicate" if payment.status == outcome.kind else "ignored"
    payment.status = PaymentStatus(outcome.kind)
    payment.finished_at = outcome.occurred_at
    payment.outcome_source = outcome.source
    payment.failure_reason = (outcome.reason or "")[:200] or None
    session.add(payment)
    if order.current_payment_id != payment.id or order.status != OrderStatus.CHECKOUT_STARTED:
        # The outcome of a checkout that a newer one replaced: the order follows the newer one.
        return "applied"
    order.status = transition(order.status, _ORDER_AFTER[outcome.kind])
    order.updated_at = rt.clock.now()
    session.add(order)
    if outcome.kind == "failed":
        await emit(
            session,
            PaymentFailed(
                payment_order_id=order.id,
                request_id=order.request_id,
                user_id=order.user_id,
                reason=outcome.reason or "Pagamento rifiutato",
                failed_at=outcome.occurred_at,
            ),
        )
    log.info("payment.unsuccessful", notice_number=order.notice_number, outcome=outcome.kind)
    return "applied"
