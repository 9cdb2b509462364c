"""Payment orders: opened when a subscription request is approved (one per request, whatever
the deliveries), read by their citizens, closed when unpaid past their due date."""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy.dialects.postgresql import insert
from sqlmodel.ext.asyncio.session import AsyncSession

from billing import repository
from billing.domain.invoices import invoice_deadline, invoice_refusal
from billing.domain.notice import build_notice
from billing.domain.orders import OrderStatus, can_pay, can_transition, status_label
from billing.domain.receipts import rome_date
from billing.models import PaymentOrder
from billing.runtime import Runtime
from billing.schemas import Order
from contracts.events import SubscriptionRequestApproved
from kit.errors import NotFound
from kit.pagination import Page, PageRequest, paginate

log = structlog.get_logger(__name__)


def order_not_found() -> NotFound:
    return NotFound("order_not_found", "Ordine di pagamento non trovato.")


async def open_order(session: AsyncSession, rt: Runtime, event: SubscriptionRequestApproved) -> None:
    """The payment order of an approved request, created once per request: a second delivery,
    or a second approval event of the same request, changes nothing."""
    if await repository.order_by_request(session, event.request_id) is not None:
        log.info("order.already_open", request_id=str(event.request_id))
        return
    if event.amount_cents <= 0 or event.currency != "EUR":
        # Nothing a citizen could pay through pagoPA (euro only): an operator must look at it.
        log.error(
            "order.unpayable_amount",
            request_id=str(event.request_id),
            amount_cents=event.amount_cents,
            currency=event.currency,
        )
        return
    number = await repository.next_order_number(session)
    notice = build_notice(rt.settings.segregation_code, number)
    payer = await repository.citizen(session, event.user_id)
    now = rt.clock.now()
    await session.exec(
        insert(PaymentOrder.__table__)
        .values(
            id=uuid.uuid4(),
            number=number,
            request_id=event.request_id,
            user_id=event.user_id,
            plate=event.plate[:20],
            sector_code=event.sector_code[:40],
            subscription_type_code=event.subscription_type_code[:40],
            description=event.description[:300],
            amount_cents=event.amount_cents,
            currency=event.currency,
            due_date=event.pay_by,
            iuv=notice.iuv,
            notice_number=notice.notice_number,
            payer_tax_code=payer.tax_code if payer is not None else None,
            status=OrderStatus.CREATED,
            created_at=now,
            updated_at=now,
        )
        # Two deliveries racing: the unique request id keeps the first one.
        .on_conflict_do_nothing(index_elements=["request_id"])
    )
    log.info("order.opened", request_id=str(event.request_id), notice_number=notice.notice_number)


async def expire_order(session: AsyncSession, rt: Runtime, request_id: uuid.UUID) -> None:
    """Subscriptions closed the unpaid request: its order accepts no more checkouts."""
    order = await repository.order_by_request(session, request_id, for_update=True)
    if order is None or not can_transition(order.status, OrderStatus.EXPIRED):
        return
    order.status = OrderStatus.EXPIRED
    order.updated_at = rt.clock.now()
    session.add(order)


async def expire_overdue(session: AsyncSession, rt: Runtime, now: datetime) -> dict[str, int]:
    """Close the orders whose due date has passed without payment (job ``expire_overdue_orders``)."""
    orders = await repository.overdue_orders(session, rome_date(now))
    for order in orders:
        order.status = OrderStatus.EXPIRED
        order.updated_at = now
        session.add(order)
    return {"expired": len(orders)}


def public_order(
    order: PaymentOrder, receipt_number: str | None, invoice_number: str | None, rt: Runtime
) -> Order:
    settings = rt.settings
    now = rt.clock.now()
    refusal = invoice_refusal(order.status, order.paid_at, invoiced=invoice_number is not None, now=now)
    return Order(
        id=order.id,
        request_id=order.request_id,
        description=order.description,
        plate=order.plate,
        amount_cents=order.amount_cents,
        currency=order.currency,
        due_date=order.due_date,
        notice_number=order.notice_number,
        iuv=order.iuv,
        creditor_name=settings.creditor_name,
        creditor_tax_code=settings.creditor_tax_code,
        status=OrderStatus(order.status),
        status_label=status_label(order.status),
        can_pay=can_pay(order.status, order.due_date, rome_date(now)),
        receipt_available=receipt_number is not None,
        receipt_number=receipt_number,
        invoice_available=invoice_number is not None,
        invoice_number=invoice_number,
        invoice_requestable=refusal is None,
        invoice_deadline=invoice_deadline(order.paid_at) if order.paid_at is not None else None,
        paid_at=order.paid_at,
        created_at=order.created_at,
    )


async def get_order(session: AsyncSession, rt: Runtime, user_id: uuid.UUID, request_id: uuid.UUID) -> Order:
    row = (await session.exec(repository.orders_of(user_id, request_id))).first()
    if row is None:
        raise order_not_found()
    order, receipt_number, invoice_number = row
    return public_order(order, receipt_number, invoice_number, rt)


async def list_orders(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    page: PageRequest,
    request_id: uuid.UUID | None = None,
) -> Page[Order]:
    return await paginate(
        session,
        repository.orders_of(user_id, request_id),
        page,
        lambda row: public_order(row[0], row[1], row[2], rt),
    )
