"""Opening a checkout: the citizen pays an order of theirs at the provider, and comes back to
the portal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from billing import repository
from billing.domain.orders import (
    OrderStatus,
    can_transition,
    ensure_payable,
    is_overdue,
    order_expired,
    transition,
)
from billing.domain.receipts import rome_date
from billing.domain.return_urls import check_return_url
from billing.models import Payment, PaymentOrder
from billing.provider import PaymentPosition
from billing.runtime import Runtime
from billing.schemas import CheckoutStarted
from billing.service.orders import order_not_found
from kit.errors import Conflict

log = structlog.get_logger(__name__)


def payer_unknown() -> Conflict:
    return Conflict(
        "payer_unknown",
        "I tuoi dati anagrafici non sono ancora disponibili per il pagamento: riprova tra qualche minuto.",
    )


async def start_checkout(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, request_id: uuid.UUID, return_url: str
) -> CheckoutStarted:
    """A checkout session at the provider for the citizen's own order; ``redirect_url`` is the
    provider's page. Refused for a paid or expired order, and for a ``return_url`` outside the
    portal."""
    order = await repository.order_by_request(session, request_id, user_id=user_id, for_update=True)
    if order is None:
        raise order_not_found()
    check_return_url(return_url, rt.settings.allowed_return_origin)
    now = rt.clock.now()
    today = rome_date(now)
    if is_overdue(order.due_date, today) and can_transition(order.status, OrderStatus.EXPIRED):
        order.status = OrderStatus.EXPIRED
        order.updated_at = now
        session.add(order)
        # The order is closed even though the checkout is refused.
        raise order_expired(keep_changes=True)
    ensure_payable(order.status, order.due_date, today)
    await _ensure_position(session, rt, order)
    checkout = await rt.provider.start_checkout(
        order.notice_number,
        return_url=return_url,
        expires_at=now + timedelta(seconds=rt.settings.checkout_ttl_s),
    )
    payment = Payment(
        order_id=order.id,
        session_id=checkout.session_id,
        return_url=return_url,
        started_at=now,
        expires_at=checkout.expires_at,
    )
    session.add(payment)
    order.status = transition(order.status, OrderStatus.CHECKOUT_STARTED)
    order.current_payment_id = payment.id
    order.updated_at = now
    session.add(order)
    log.info("checkout.started", notice_number=order.notice_number)
    return CheckoutStarted(redirect_url=checkout.redirect_url, expires_at=checkout.expires_at)


async def _ensure_position(session: AsyncSession, rt: Runtime, order: PaymentOrder) -> None:
    """The order's payment position at the provider, created on its first checkout (creating
    it again is harmless: the provider keys it by notice number)."""
    if order.position_created_at is not None:
        return
    payer = await repository.citizen(session, order.user_id)
    tax_code = order.payer_tax_code or (payer.tax_code if payer is not None else None)
    if not tax_code:
        raise payer_unknown()
    settings = rt.settings
    await rt.provider.create_position(
        PaymentPosition(
            creditor_tax_code=settings.creditor_tax_code,
            creditor_name=settings.creditor_name,
            notice_number=order.notice_number,
            iuv=order.iuv,
            amount_cents=order.amount_cents,
            currency=order.currency,
            description=order.description,
            due_date=order.due_date,
            payer_tax_code=tax_code,
            payer_name=f"{payer.first_name} {payer.last_name}" if payer is not None else None,
        )
    )
    order.payer_tax_code = tax_code
    order.position_created_at = rt.clock.now()
