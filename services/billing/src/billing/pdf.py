"""The receipt ("ricevuta") as a PDF (HTML template → WeasyPrint), rendered from what the
receipt row froze when the payment was recorded: the same receipt always gives the same bytes.
Rendering takes tens of milliseconds of CPU: callers run it in a thread."""

from __future__ import annotations

from dataclasses import dataclass

from weasyprint import HTML

from billing.domain.money import format_euro
from billing.domain.notice import format_notice_number
from billing.domain.receipts import format_datetime
from billing.models import Receipt
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
