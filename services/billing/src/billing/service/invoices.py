"""Invoices of paid subscriptions: the form prefilled with what is known of the citizen, the
invoice issued once per order within the window (numbered, its FatturaPA file validated, and
``InvoiceIssuedV2`` emitted with its PDF for the citizen's e-mail, all in one transaction), and
its PDF and XML served to the owner and to operators.

The order's row is locked first: two requests for one order run one after the other (the
second finds the invoice and is refused), and the unique index on the order decides should
anything else race. The year's counter row is taken last and stays locked until the commit, so
concurrent invoices of different orders get consecutive numbers and a refused one leaves no gap.
Building the XML and rendering the PDF (a hundred milliseconds or so) happen while it is held:
invoices are issued one after the other, a few per second at most, plenty for their rate.
"""

from __future__ import annotations

import asyncio
import base64
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from billing import repository
from billing.domain.buyers import Buyer, address_line, check_buyer
from billing.domain.invoices import (
    ensure_invoice_requestable,
    invoice_already_issued,
    invoice_deadline,
    invoice_not_found,
    invoice_number,
    invoice_refusal,
    transmission_progressive,
    xml_filename,
)
from billing.domain.money import VatSplit, vat_split
from billing.domain.places import province_of
from billing.domain.receipts import period_bounds, period_from_description, rome_date
from billing.fatturapa import InvoiceData, InvoiceFileRefused, Seller, invoice_xml
from billing.models import Invoice, PaymentOrder
from billing.pdf import InvoiceView, invoice_pdf
from billing.runtime import Runtime
from billing.schemas import AdminInvoice, InvoiceForm
from billing.schemas import Buyer as BuyerOut
from billing.schemas import Invoice as InvoiceOut
from billing.service.orders import order_not_found
from contracts.events import InvoiceIssuedV2
from kit.auth import Principal
from kit.errors import FieldError, Invalid
from kit.outbox import emit
from kit.uow import unique_refusals

log = structlog.get_logger(__name__)


def seller_of(rt: Runtime) -> Seller:
    settings = rt.settings
    return Seller(
        name=settings.creditor_name,
        tax_code=settings.creditor_tax_code,
        vat_number=settings.seller_vat_number,
        address_street=settings.seller_address_street,
        address_number=settings.seller_address_number or None,
        postcode=settings.seller_postcode,
        municipality=settings.seller_municipality,
        province=settings.seller_province,
        regime=settings.seller_regime_fiscale,
    )


def _seller_address(seller: Seller) -> str:
    return address_line(
        seller.address_street, seller.address_number, seller.postcode, seller.municipality, seller.province
    )


# --- The form --------------------------------------------------------------------------------


def _prefill(citizen: Any | None) -> BuyerOut:
    """The billing data known of the citizen: a person with codice fiscale and residence."""
    if citizen is None:
        return BuyerOut(
            kind="person",
            **dict.fromkeys(
                (
                    "name",
                    "first_name",
                    "last_name",
                    "company_name",
                    "tax_code",
                    "vat_number",
                    "address_street",
                    "address_number",
                    "postcode",
                    "municipality",
                    "province",
                    "pec",
                    "recipient_code",
                )
            ),
            country="IT",
        )
    return BuyerOut(
        kind="person",
        name=f"{citizen.first_name} {citizen.last_name}",
        first_name=citizen.first_name,
        last_name=citizen.last_name,
        company_name=None,
        tax_code=citizen.tax_code,
        vat_number=None,
        address_street=citizen.address_street,
        address_number=citizen.address_number,
        postcode=citizen.postcode,
        municipality=citizen.municipality,
        province=province_of(citizen.municipality),
        country="IT",
        pec=None,
        recipient_code=None,
    )


async def _own_order(
    session: AsyncSession, user_id: uuid.UUID | None, request_id: uuid.UUID, *, lock: bool
) -> PaymentOrder:
    order = await repository.order_by_request(session, request_id, user_id=user_id, for_update=lock)
    if order is None:
        raise order_not_found()
    return order


async def invoice_form(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, request_id: uuid.UUID
) -> InvoiceForm:
    order = await _own_order(session, user_id, request_id, lock=False)
    invoiced = await repository.invoice_of(session, order.id) is not None
    refusal = invoice_refusal(order.status, order.paid_at, invoiced=invoiced, now=rt.clock.now())
    return InvoiceForm(
        eligible=refusal is None,
        deadline=invoice_deadline(order.paid_at) if order.paid_at is not None else None,
        reason_code=refusal.code if refusal is not None else None,
        reason_if_not=refusal.message if refusal is not None else None,
        buyer=_prefill(await repository.citizen(session, user_id)),
    )


# --- Issuing ---------------------------------------------------------------------------------


def invoice_data_not_accepted() -> Invalid:
    return Invalid(
        [
            FieldError(
                "buyer",
                "invoice_data_not_accepted",
                "I dati indicati non sono accettati dalla fattura elettronica: controlla i caratteri usati.",
            )
        ],
        code="invoice_data_not_accepted",
    )


async def request_invoice(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    request_id: uuid.UUID,
    billing_data: Mapping[str, str | None],
) -> InvoiceOut:
    """Issue the invoice of the citizen's paid order, made out to ``billing_data``."""
    order = await _own_order(session, user_id, request_id, lock=True)
    now = rt.clock.now()
    invoiced = await repository.invoice_of(session, order.id) is not None
    ensure_invoice_requestable(order.status, order.paid_at, invoiced=invoiced, now=now)
    assert order.paid_at is not None  # paid, as just checked
    buyer = check_buyer(billing_data)
    receipt = await repository.receipt_of(session, order.id)
    # The amounts of the receipt, frozen when the payment was recorded.
    split = (
        VatSplit(receipt.amount_cents, receipt.net_cents, receipt.vat_cents, receipt.vat_rate_percent)
        if receipt is not None
        else vat_split(order.amount_cents, rt.settings.vat_rate_percent)
    )
    seller = seller_of(rt)
    issue_date = rome_date(now)
    file_number = await repository.next_invoice_file_number(session)
    progressive = transmission_progressive(file_number)
    # Taken last: the counter's row stays locked until the commit.
    sequence = await repository.allocate_invoice_sequence(session, issue_date.year)
    number = invoice_number(issue_date.year, sequence)
    receipt_number = receipt.number if receipt is not None else None
    period = period_bounds(order.description)
    data = InvoiceData(
        progressive=progressive,
        number=number,
        issue_date=issue_date,
        seller=seller,
        buyer=buyer,
        line_description=_line_description(order),
        period=period,
        net_cents=split.net_cents,
        vat_cents=split.vat_cents,
        amount_cents=split.gross_cents,
        vat_rate_percent=split.rate_percent,
        currency=order.currency,
        reason=_reason(order, receipt_number),
        payment_code=order.iuv,
    )
    try:
        xml = await asyncio.to_thread(invoice_xml, data)
    except InvoiceFileRefused as exc:
        # The buyer's data passed our checks yet the file does not: a rule we do not check.
        log.error("invoice.file_refused", request_id=str(request_id), errors=exc.errors[:10])
        raise invoice_data_not_accepted() from None
    invoice = Invoice(
        id=uuid.uuid4(),
        order_id=order.id,
        request_id=order.request_id,
        user_id=order.user_id,
        number=number,
        year=issue_date.year,
        sequence=sequence,
        file_number=file_number,
        issued_at=now,
        issue_date=issue_date,
        **_buyer_columns(buyer),
        description=order.description,
        plate=order.plate,
        period=period_from_description(order.description),
        amount_cents=split.gross_cents,
        net_cents=split.net_cents,
        vat_cents=split.vat_cents,
        vat_rate_percent=split.rate_percent,
        currency=order.currency,
        paid_at=order.paid_at,
        receipt_number=receipt_number,
        iuv=order.iuv,
        seller_name=seller.name,
        seller_tax_code=seller.tax_code,
        seller_vat_number=seller.vat_number,
        seller_address=_seller_address(seller),
        xml_filename=xml_filename(seller.country, seller.tax_code, progressive),
        xml=xml.decode("utf-8"),
    )
    async with unique_refusals(session, {"uq_invoices_order_id": invoice_already_issued}):
        session.add(invoice)
    # The citizen's e-mail attaches the PDF: the same bytes the PDF route renders from the row.
    pdf = await asyncio.to_thread(invoice_pdf, InvoiceView.of(invoice, buyer))
    await emit(
        session,
        InvoiceIssuedV2(
            invoice_id=invoice.id,
            number=invoice.number,
            user_id=invoice.user_id,
            request_id=invoice.request_id,
            amount_cents=invoice.amount_cents,
            currency=invoice.currency,
            issued_at=invoice.issued_at,
            pdf_filename=_pdf_filename(invoice),
            pdf_base64=base64.b64encode(pdf).decode("ascii"),
        ),
    )
    log.info("invoice.issued", request_id=str(request_id), number=number, file=invoice.xml_filename)
    return public_invoice(invoice)


def _line_description(order: PaymentOrder) -> str:
    """The invoice line: what was paid for and its plate. Subscriptions' descriptions name the
    plate already ("…, settore S1, targa AB123CD, dal … al …"): then it is not said twice."""
    if order.plate and re.search(rf"\btarga {re.escape(order.plate)}\b", order.description, re.IGNORECASE):
        return order.description
    return f"{order.description} - targa {order.plate}"


def _reason(order: PaymentOrder, receipt_number: str | None) -> str:
    receipt = f", ricevuta n. {receipt_number}" if receipt_number else ""
    return f"Abbonamento sosta residenti, targa {order.plate}: pagato con pagoPA (IUV {order.iuv}{receipt})"


def _buyer_columns(buyer: Buyer) -> dict[str, Any]:
    return {
        "buyer_kind": buyer.kind,
        "buyer_first_name": buyer.first_name,
        "buyer_last_name": buyer.last_name,
        "buyer_company_name": buyer.company_name,
        "buyer_tax_code": buyer.tax_code,
        "buyer_vat_number": buyer.vat_number,
        "buyer_address_street": buyer.address_street,
        "buyer_address_number": buyer.address_number,
        "buyer_postcode": buyer.postcode,
        "buyer_municipality": buyer.municipality,
        "buyer_province": buyer.province,
        "buyer_country": buyer.country,
        "buyer_pec": buyer.pec,
        "buyer_recipient_code": buyer.recipient_code,
    }


def buyer_of(invoice: Invoice) -> Buyer:
    return Buyer(
        kind="company" if invoice.buyer_kind == "company" else "person",
        first_name=invoice.buyer_first_name,
        last_name=invoice.buyer_last_name,
        company_name=invoice.buyer_company_name,
        tax_code=invoice.buyer_tax_code,
        vat_number=invoice.buyer_vat_number,
        address_street=invoice.buyer_address_street,
        address_number=invoice.buyer_address_number,
        postcode=invoice.buyer_postcode,
        municipality=invoice.buyer_municipality,
        province=invoice.buyer_province,
        country=invoice.buyer_country,
        pec=invoice.buyer_pec,
        recipient_code=invoice.buyer_recipient_code,
    )


def public_invoice(invoice: Invoice) -> InvoiceOut:
    buyer = buyer_of(invoice)
    return InvoiceOut(
        id=invoice.id,
        request_id=invoice.request_id,
        number=invoice.number,
        issued_at=invoice.issued_at,
        issue_date=invoice.issue_date,
        amount_cents=invoice.amount_cents,
        net_cents=invoice.net_cents,
        vat_cents=invoice.vat_cents,
        vat_rate_percent=invoice.vat_rate_percent,
        currency=invoice.currency,
        description=invoice.description,
        plate=invoice.plate,
        period=invoice.period,
        paid_at=invoice.paid_at,
        receipt_number=invoice.receipt_number,
        buyer=BuyerOut(
            kind=buyer.kind,
            name=buyer.name,
            first_name=buyer.first_name,
            last_name=buyer.last_name,
            company_name=buyer.company_name,
            tax_code=buyer.tax_code,
            vat_number=buyer.vat_number,
            address_street=buyer.address_street,
            address_number=buyer.address_number,
            postcode=buyer.postcode,
            municipality=buyer.municipality,
            province=buyer.province,
            country=buyer.country,
            pec=buyer.pec,
            recipient_code=buyer.recipient_code,
        ),
        xml_filename=invoice.xml_filename,
    )


def admin_invoice(invoice: Invoice) -> AdminInvoice:
    return AdminInvoice(**public_invoice(invoice).model_dump(), user_id=invoice.user_id)


# --- Reading ---------------------------------------------------------------------------------


async def _visible_invoice(session: AsyncSession, principal: Principal, request_id: uuid.UUID) -> Invoice:
    """The invoice of an order the principal may see: their own, or any for operators."""
    owner = None if principal.is_staff else principal.user_id
    order = await _own_order(session, owner, request_id, lock=False)
    invoice = await repository.invoice_of(session, order.id)
    if invoice is None:
        raise invoice_not_found()
    return invoice


async def get_invoice(session: AsyncSession, principal: Principal, request_id: uuid.UUID) -> InvoiceOut:
    return public_invoice(await _visible_invoice(session, principal, request_id))


@dataclass(frozen=True)
class InvoiceDocument:
    filename: str
    media_type: str
    content: bytes


def _pdf_filename(invoice: Invoice) -> str:
    """``fattura-FPR-12-2026.pdf``."""
    return "fattura-" + invoice.number.replace(" ", "-").replace("/", "-") + ".pdf"


async def invoice_pdf_document(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> InvoiceDocument:
    invoice = await _visible_invoice(session, principal, request_id)
    view = InvoiceView.of(invoice, buyer_of(invoice))
    content = await asyncio.to_thread(invoice_pdf, view)
    return InvoiceDocument(_pdf_filename(invoice), "application/pdf", content)


async def invoice_xml_document(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID
) -> InvoiceDocument:
    invoice = await _visible_invoice(session, principal, request_id)
    return InvoiceDocument(invoice.xml_filename, "application/xml", invoice.xml.encode("utf-8"))
