"""Queries over the billing service's tables (payment orders, payments, receipts, invoices)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select, text
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from billing.domain.orders import EXPIRABLE, OrderStatus, PaymentStatus
from billing.models import (
    Invoice,
    InvoiceCounter,
    Payment,
    PaymentOrder,
    Receipt,
    ReceiptCounter,
    citizens,
)


async def next_order_number(session: AsyncSession) -> int:
    """The next number of the orders' identity (the IUV base of the next notice number)."""
    statement = text("SELECT nextval(pg_get_serial_sequence('payment_orders', 'number'))")
    return int((await session.exec(statement)).scalar_one())


async def order_by_request(
    session: AsyncSession,
    request_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> PaymentOrder | None:
    statement = select(PaymentOrder).where(PaymentOrder.request_id == request_id)
    if user_id is not None:
        statement = statement.where(PaymentOrder.user_id == user_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def order_by_notice_for_update(session: AsyncSession, notice_number: str) -> PaymentOrder | None:
    statement = select(PaymentOrder).where(PaymentOrder.notice_number == notice_number).with_for_update()
    return (await session.exec(statement)).first()


async def payment_by_session(session: AsyncSession, session_id: str) -> Payment | None:
    return (await session.exec(select(Payment).where(Payment.session_id == session_id))).first()


async def receipt_of(session: AsyncSession, order_id: uuid.UUID) -> Receipt | None:
    return (await session.exec(select(Receipt).where(Receipt.order_id == order_id))).first()


async def citizen(session: AsyncSession, user_id: uuid.UUID) -> Any | None:
    """The citizen's row of the read model (name, codice fiscale), when identity told us."""
    # A plain SQLAlchemy select: rows of the table, not its first column.
    return (await session.exec(sa.select(citizens).where(citizens.c.user_id == user_id))).first()


def orders_of(user_id: uuid.UUID, request_id: uuid.UUID | None = None) -> Select[Any]:
    """A citizen's orders with their receipt and invoice numbers, newest first."""
    statement = (
        select(PaymentOrder, Receipt.number, Invoice.number)
        .join(Receipt, col(Receipt.order_id) == PaymentOrder.id, isouter=True)
        .join(Invoice, col(Invoice.order_id) == PaymentOrder.id, isouter=True)
        .where(PaymentOrder.user_id == user_id)
    )
    if request_id is not None:
        statement = statement.where(PaymentOrder.request_id == request_id)
    return statement.order_by(col(PaymentOrder.created_at).desc(), col(PaymentOrder.id))


def payments_for_operators(
    *,
    user_id: uuid.UUID | None,
    paid_from: datetime | None,
    paid_before: datetime | None,
    status: OrderStatus | None,
) -> Select[Any]:
    """Orders with their receipts, invoice numbers and citizens; a period selects the orders
    paid within it."""
    statement = (
        select(
            PaymentOrder,
            Receipt,
            Invoice.number,
            citizens.c.first_name,
            citizens.c.last_name,
            citizens.c.tax_code,
        )
        .join(Receipt, col(Receipt.order_id) == PaymentOrder.id, isouter=True)
        .join(Invoice, col(Invoice.order_id) == PaymentOrder.id, isouter=True)
        .join(citizens, citizens.c.user_id == PaymentOrder.user_id, isouter=True)
    )
    if user_id is not None:
        statement = statement.where(PaymentOrder.user_id == user_id)
    if paid_from is not None:
        statement = statement.where(col(PaymentOrder.paid_at) >= paid_from)
    if paid_before is not None:
        statement = statement.where(col(PaymentOrder.paid_at) < paid_before)
    if status is not None:
        statement = statement.where(PaymentOrder.status == status)
    return statement.order_by(
        col(PaymentOrder.paid_at).desc().nulls_last(),
        col(PaymentOrder.created_at).desc(),
        col(PaymentOrder.id),
    )


async def receipts_paid_between(session: AsyncSession, start: datetime, end: datetime) -> list[Receipt]:
    statement = (
        select(Receipt)
        .where(col(Receipt.paid_at) >= start, col(Receipt.paid_at) < end)
        .order_by(col(Receipt.year), col(Receipt.sequence))
    )
    return list((await session.exec(statement)).all())


async def allocate_receipt_sequence(session: AsyncSession, year: int) -> int:
    """The next receipt number of ``year``. The counter's row stays locked until the
    transaction ends: concurrent payments take consecutive numbers, and a rolled-back one
    gives its number back."""
    table = ReceiptCounter.__table__
    statement = (
        insert(table)
        .values(year=year, last_number=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last_number": table.c.last_number + 1})
        .returning(table.c.last_number)
    )
    return int((await session.exec(statement)).scalar_one())


async def invoice_of(session: AsyncSession, order_id: uuid.UUID) -> Invoice | None:
    return (await session.exec(select(Invoice).where(Invoice.order_id == order_id))).first()


async def next_invoice_file_number(session: AsyncSession) -> int:
    """The next number of the invoices' files (their "progressivo invio"); gaps are harmless."""
    statement = text("SELECT nextval(pg_get_serial_sequence('invoices', 'file_number'))")
    return int((await session.exec(statement)).scalar_one())


async def allocate_invoice_sequence(session: AsyncSession, year: int) -> int:
    """The next invoice number of ``year``; the counter's row stays locked until the
    transaction ends (see ``allocate_receipt_sequence``)."""
    table = InvoiceCounter.__table__
    statement = (
        insert(table)
        .values(year=year, last_number=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last_number": table.c.last_number + 1})
        .returning(table.c.last_number)
    )
    return int((await session.exec(statement)).scalar_one())


def invoices_for_operators(
    *, user_id: uuid.UUID | None, issued_from: datetime | None, issued_before: datetime | None
) -> Select[Any]:
    """Invoices of a citizen or of a period (issued within it), newest first."""
    statement = select(Invoice)
    if user_id is not None:
        statement = statement.where(Invoice.user_id == user_id)
    if issued_from is not None:
        statement = statement.where(col(Invoice.issued_at) >= issued_from)
    if issued_before is not None:
        statement = statement.where(col(Invoice.issued_at) < issued_before)
    return statement.order_by(
        col(Invoice.issued_at).desc(), col(Invoice.year).desc(), col(Invoice.sequence).desc()
    )


async def invoices_issued_between(session: AsyncSession, start: datetime, end: datetime) -> list[Invoice]:
    statement = (
        select(Invoice)
        .where(col(Invoice.issued_at) >= start, col(Invoice.issued_at) < end)
        .order_by(col(Invoice.year), col(Invoice.sequence))
    )
    return list((await session.exec(statement)).all())


async def open_payments_started_before(session: AsyncSession, cutoff: datetime, limit: int) -> list[Payment]:
    statement = (
        select(Payment)
        .where(Payment.status == PaymentStatus.CHECKOUT_STARTED, col(Payment.started_at) <= cutoff)
        .order_by(col(Payment.started_at))
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def overdue_orders(session: AsyncSession, today: date, limit: int = 500) -> list[PaymentOrder]:
    statement = (
        select(PaymentOrder)
        .where(col(PaymentOrder.due_date) < today, col(PaymentOrder.status).in_(list(EXPIRABLE)))
        .order_by(col(PaymentOrder.due_date))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.exec(statement)).all())
