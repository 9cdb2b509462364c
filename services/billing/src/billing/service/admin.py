"""Payments and invoices for operators: listed by citizen or period, a period exported as CSV,
and a period's FatturaPA files as one ZIP."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from billing import repository
from billing.domain.export import (
    InvoiceRow,
    PaymentRow,
    export_filename,
    invoices_csv,
    invoices_export_filename,
    payments_csv,
    xml_zip,
)
from billing.domain.orders import OrderStatus
from billing.domain.receipts import rome_day_bounds
from billing.runtime import Runtime
from billing.schemas import MAX_YEAR, MIN_YEAR, AdminInvoice, AdminPayment
from billing.service.invoices import admin_invoice, buyer_of
from billing.service.orders import public_order
from kit.errors import FieldError, Invalid
from kit.pagination import Page, PageRequest, paginate


def _check_period(start: date | None, end: date | None) -> None:
    errors = [
        FieldError(name, "date_out_of_range", f"La data deve essere tra il {MIN_YEAR} e il {MAX_YEAR}.")
        for name, day in (("from", start), ("to", end))
        if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR
    ]
    if not errors and start is not None and end is not None and start > end:
        errors.append(FieldError("to", "period_reversed", "La data finale precede quella iniziale."))
    if errors:
        raise Invalid(errors)


def _admin_payment(row: Any, rt: Runtime) -> AdminPayment:
    order, receipt, invoice_number, first_name, last_name, tax_code = row
    public = public_order(order, receipt.number if receipt is not None else None, invoice_number, rt)
    if receipt is not None and receipt.payer_name:
        payer_name = receipt.payer_name
    else:
        payer_name = f"{first_name} {last_name}" if first_name is not None else None
    return AdminPayment(
        **public.model_dump(),
        user_id=order.user_id,
        payer_tax_code=(receipt.payer_tax_code if receipt is not None else None)
        or order.payer_tax_code
        or tax_code,
        payer_name=payer_name,
        transaction_id=receipt.transaction_id if receipt is not None else None,
    )


async def list_payments(
    session: AsyncSession,
    rt: Runtime,
    page: PageRequest,
    *,
    user_id: uuid.UUID | None = None,
    start: date | None = None,
    end: date | None = None,
    status: OrderStatus | None = None,
) -> Page[AdminPayment]:
    _check_period(start, end)
    paid_from = rome_day_bounds(start, start)[0] if start is not None else None
    paid_before = rome_day_bounds(end, end)[1] if end is not None else None
    statement = repository.payments_for_operators(
        user_id=user_id, paid_from=paid_from, paid_before=paid_before, status=status
    )
    return await paginate(session, statement, page, lambda row: _admin_payment(row, rt))


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes


async def export_payments(session: AsyncSession, rt: Runtime, start: date, end: date) -> Export:
    """Every payment received from ``start`` to ``end`` (inclusive, Europe/Rome), by receipt number."""
    _check_period(start, end)
    paid_from, paid_before = rome_day_bounds(start, end)
    receipts = await repository.receipts_paid_between(session, paid_from, paid_before)
    rows = [
        PaymentRow(
            receipt_number=r.number,
            paid_at=r.paid_at,
            payer_tax_code=r.payer_tax_code or "",
            payer_name=r.payer_name or "",
            plate=r.plate,
            description=r.description,
            notice_number=r.notice_number,
            iuv=r.iuv,
            net_cents=r.net_cents,
            vat_cents=r.vat_cents,
            vat_rate_percent=r.vat_rate_percent,
            amount_cents=r.amount_cents,
        )
        for r in receipts
    ]
    return Export(filename=export_filename(start, end), content=payments_csv(rows).encode("utf-8"))


# --- Invoices ------------------------------------------------------------------------------------

# The XML files of at most this many days go in one ZIP (it is built in memory).
MAX_ZIP_DAYS = 366


async def list_invoices(
    session: AsyncSession,
    page: PageRequest,
    *,
    user_id: uuid.UUID | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Page[AdminInvoice]:
    """Invoices of a citizen, or issued from ``start`` to ``end`` (inclusive, Europe/Rome)."""
    _check_period(start, end)
    issued_from = rome_day_bounds(start, start)[0] if start is not None else None
    issued_before = rome_day_bounds(end, end)[1] if end is not None else None
    statement = repository.invoices_for_operators(
        user_id=user_id, issued_from=issued_from, issued_before=issued_before
    )
    return await paginate(session, statement, page, admin_invoice)


async def export_invoices(session: AsyncSession, start: date, end: date) -> Export:
    """Every invoice issued from ``start`` to ``end`` (inclusive, Europe/Rome), by number."""
    _check_period(start, end)
    invoices = await repository.invoices_issued_between(session, *rome_day_bounds(start, end))
    rows = []
    for invoice in invoices:
        buyer = buyer_of(invoice)
        rows.append(
            InvoiceRow(
                number=invoice.number,
                issue_date=invoice.issue_date,
                buyer_name=buyer.name,
                buyer_kind=buyer.kind,
                buyer_tax_code=buyer.tax_code or "",
                buyer_vat_number=buyer.vat_number or "",
                buyer_address=buyer.address_line,
                recipient_code=buyer.recipient_code,
                pec=buyer.pec or "",
                description=invoice.description,
                plate=invoice.plate,
                receipt_number=invoice.receipt_number or "",
                paid_at=invoice.paid_at,
                net_cents=invoice.net_cents,
                vat_cents=invoice.vat_cents,
                vat_rate_percent=invoice.vat_rate_percent,
                amount_cents=invoice.amount_cents,
                xml_filename=invoice.xml_filename,
            )
        )
    content = invoices_csv(rows).encode("utf-8")
    return Export(filename=invoices_export_filename(start, end, "csv"), content=content)


async def export_invoice_files(session: AsyncSession, start: date, end: date) -> Export:
    """The FatturaPA files of the invoices issued from ``start`` to ``end`` (inclusive,
    Europe/Rome), each under the name SDI expects, in one ZIP."""
    _check_period(start, end)
    if end - start >= timedelta(days=MAX_ZIP_DAYS):
        raise Invalid([FieldError("to", "period_too_long", "Il periodo può essere al massimo di un anno.")])
    invoices = await repository.invoices_issued_between(session, *rome_day_bounds(start, end))
    files = [(i.xml_filename, i.issued_at, i.xml.encode("utf-8")) for i in invoices]
    content = await asyncio.to_thread(xml_zip, files)
    return Export(filename=invoices_export_filename(start, end, "zip"), content=content)
