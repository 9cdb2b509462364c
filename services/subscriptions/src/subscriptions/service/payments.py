"""A payment billing reported (``PaymentCompleted``): the request becomes paid and its
subscription is activated, exactly once, whatever billing reports twice.

The rules, as a citizen who paid would expect them:

- an approved request: paid, subscription active for the period it asked for;
- a request that had expired unpaid: the citizen paid anyway, so it is activated all the
  same, unless its period has already ended or the plate meanwhile got a subscription over
  those days; then the payment is due back (``refund_due``);
- a second payment for a request already paid (or any payment for a request that cannot be
  paid: pending, rejected, already refunded), or an amount other than the request's: nothing
  is activated and the payment is due back.

Every payment is recorded once (its id is the key), with its outcome; a refund due is logged
and written in the request's trail for the operators. A redelivered event is absorbed by the
consumer's inbox; the same payment in a new event finds its row and changes nothing."""

from __future__ import annotations

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import PaymentCompleted
from kit.errors import Conflict
from subscriptions import repository
from subscriptions.domain.periods import local_date
from subscriptions.domain.statuses import RequestStatus
from subscriptions.models import Subscription, SubscriptionPayment, SubscriptionRequest
from subscriptions.runtime import Runtime
from subscriptions.service import trail
from subscriptions.service.subscriptions import activate, revoke_if_plate_gone

log = structlog.get_logger(__name__)

ACTIVATED = "activated"
REFUND_DUE = "refund_due"

# Why a payment is due back (stable codes, shown to operators).
AMOUNT_MISMATCH = "amount_mismatch"
DUPLICATE_PAYMENT = "duplicate_payment"
NOT_PAYABLE = "request_not_payable"
PERIOD_OVER = "period_over"
PERIOD_TAKEN = "period_taken"


async def payment_completed(session: AsyncSession, rt: Runtime, event: PaymentCompleted) -> None:
    found = await repository.request(session, event.request_id)
    if found is None:
        # Billing opens payments only for requests this service approved: nothing to act on.
        log.error(
            "payment.unknown_request", request_id=str(event.request_id), payment_id=str(event.payment_id)
        )
        return
    await repository.lock_plate(session, found.plate)
    request = await repository.request(session, event.request_id, for_update=True)
    assert request is not None
    if await repository.payment(session, event.payment_id) is not None:
        log.info("payment.already_recorded", payment_id=str(event.payment_id), request_id=str(request.id))
        return
    now = rt.clock.now()
    outcome, reason, subscription = await _settle(
        session, request, event, today_is_past_period=local_date(now) > request.valid_until
    )
    session.add(
        SubscriptionPayment(
            payment_id=event.payment_id,
            payment_order_id=event.payment_order_id,
            request_id=request.id,
            user_id=event.user_id,
            amount_cents=event.amount_cents,
            currency=event.currency,
            receipt_number=event.receipt_number,
            paid_at=event.paid_at,
            recorded_at=now,
            outcome=outcome,
            refund_reason=reason,
        )
    )
    if outcome == ACTIVATED:
        await trail.record(
            session,
            request.id,
            "paid",
            actor=trail.SYSTEM,
            at=now,
            details={"payment_id": str(event.payment_id), "receipt_number": event.receipt_number},
        )
        assert subscription is not None
        await revoke_if_plate_gone(session, subscription, now=now)
        return
    log.warning(
        "payment.refund_due",
        request_id=str(request.id),
        payment_id=str(event.payment_id),
        amount_cents=event.amount_cents,
        reason=reason,
    )
    await trail.record(
        session,
        request.id,
        "refund_due",
        actor=trail.SYSTEM,
        at=now,
        reason=reason,
        details={
            "payment_id": str(event.payment_id),
            "receipt_number": event.receipt_number,
            "amount_cents": event.amount_cents,
        },
    )


async def _settle(
    session: AsyncSession,
    request: SubscriptionRequest,
    event: PaymentCompleted,
    *,
    today_is_past_period: bool,
) -> tuple[str, str | None, Subscription | None]:
    """What this payment does to its request: activate it, or why it is due back."""
    status = RequestStatus(request.status)
    if status in (RequestStatus.PAID, RequestStatus.REFUND_DUE):
        return REFUND_DUE, DUPLICATE_PAYMENT, None
    if status not in (RequestStatus.APPROVED, RequestStatus.EXPIRED_UNPAID):
        return REFUND_DUE, NOT_PAYABLE, None
    if event.amount_cents != request.amount_cents or event.currency != request.currency:
        return REFUND_DUE, AMOUNT_MISMATCH, None
    if status is RequestStatus.EXPIRED_UNPAID and today_is_past_period:
        request.status, request.paid_at = RequestStatus.REFUND_DUE.value, event.paid_at
        return REFUND_DUE, PERIOD_OVER, None
    try:
        subscription = await activate(session, request, at=event.paid_at)
    except Conflict:
        request.status, request.paid_at = RequestStatus.REFUND_DUE.value, event.paid_at
        return REFUND_DUE, PERIOD_TAKEN, None
    request.status, request.paid_at = RequestStatus.PAID.value, event.paid_at
    return ACTIVATED, None, subscription
