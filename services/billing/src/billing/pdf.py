"""The receipt ("ricevuta") and the invoice ("fattura") as PDF (HTML template → WeasyPrint),
rendered from what their rows froze when they were issued: the same document always gives the
same bytes. Rendering takes tens of milliseconds of CPU: callers run it in a thread."""

from __future__ import annotations

from dataclasses import dataclass

from weasyprint import HTML

from billing.domain.buyers import NO_RECIPIENT_CODE, Buyer
from billing.domain.money import format_euro
from billing.domain.notice import format_notice_number
from billing.domain.receipts import format_date, format_datetime
from billing.models import Invoice, Receipt
from billing.templating import templates


@dataclass(frozen=True)
class ReceiptView:
    """What the receipt states, written as a person reads it."""

    number: str
    creditor_name: str
    creditor_tax_code: str
    payer_name: str | None
    payer_tax_code: str | None
    plate: str
    description: str
    period: str | None
    notice_number: str
    iuv: str
    paid_at: str
    issued_at: str
    transaction_id: str | None
    net: str
    vat: str
    vat_rate_percent: int
    total: str

    @classmethod
    def of(cls, receipt: Receipt) -> ReceiptView:
        return cls(
            number=receipt.number,
            creditor_name=receipt.creditor_name,
            creditor_tax_code=receipt.creditor_tax_code,
            payer_name=receipt.payer_name,
            payer_tax_code=receipt.payer_tax_code,
            plate=receipt.plate,
            description=receipt.description,
            period=receipt.period,
            notice_number=format_notice_number(receipt.notice_number),
            iuv=receipt.iuv,
            paid_at=format_datetime(receipt.paid_at),
            issued_at=format_datetime(receipt.issued_at),
            transaction_id=receipt.transaction_id,
            net=format_euro(receipt.net_cents),
            vat=format_euro(receipt.vat_cents),
            vat_rate_percent=receipt.vat_rate_percent,
            total=format_euro(receipt.amount_cents),
        )


def receipt_html(view: ReceiptView) -> str:
    return templates().get_template("receipt.html").render(receipt=view)


def receipt_pdf(view: ReceiptView) -> bytes:
    return HTML(string=receipt_html(view)).write_pdf()


@dataclass(frozen=True)
class InvoiceView:
    """What the invoice states, written as a person reads it."""

    number: str
    issue_date: str
    seller_name: str
    seller_tax_code: str
    seller_vat_number: str
    seller_address: str
    buyer_name: str
    buyer_tax_code: str | None
    buyer_vat_number: str | None
    buyer_address: str
    buyer_delivery: str
    description: str
    plate: str
    period: str | None
    net: str
    vat: str
    vat_rate_percent: int
    total: str
    paid_at: str
    receipt_number: str | None
    iuv: str
    xml_filename: str

    @classmethod
    def of(cls, invoice: Invoice, buyer: Buyer) -> InvoiceView:
        if buyer.recipient_code != NO_RECIPIENT_CODE:
            delivery = f"Codice destinatario {buyer.recipient_code}"
        elif buyer.pec:
            delivery = f"PEC {buyer.pec}"
        else:
            delivery = "Area riservata del sito dell'Agenzia delle Entrate (codice destinatario 0000000)"
        return cls(
            number=invoice.number,
            issue_date=format_date(invoice.issue_date),
            seller_name=invoice.seller_name,
            seller_tax_code=invoice.seller_tax_code,
            seller_vat_number=invoice.seller_vat_number,
            seller_address=invoice.seller_address,
            buyer_name=buyer.name,
            buyer_tax_code=buyer.tax_code,
            buyer_vat_number=buyer.vat_number,
            buyer_address=buyer.address_line,
            buyer_delivery=delivery,
            description=invoice.description,
            plate=invoice.plate,
            period=invoice.period,
            net=format_euro(invoice.net_cents),
            vat=format_euro(invoice.vat_cents),
            vat_rate_percent=invoice.vat_rate_percent,
            total=format_euro(invoice.amount_cents),
            paid_at=format_datetime(invoice.paid_at),
            receipt_number=invoice.receipt_number,
            iuv=invoice.iuv,
            xml_filename=invoice.xml_filename,
        )


def invoice_html(view: InvoiceView) -> str:
    return templates().get_template("invoice.html").render(invoice=view)


def invoice_pdf(view: InvoiceView) -> bytes:
    return HTML(string=invoice_html(view)).write_pdf()
