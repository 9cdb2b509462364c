"""The billing service (`/api/billing`): the payment order of an approved subscription request,
its checkout at the payment provider ("Paga"), the receipt as a PDF, the invoice of a paid one
("Richiedi fattura", within 10 days of the payment: its prefilled form, then its PDF and its
FatturaPA XML), and the operators' lists and exports of payments and invoices. Shapes follow
`services/billing/src/billing/schemas.py`; the fields the pages do not need are optional."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from portal.api import Download
from portal.clients.base import Page, ServiceClient, without_empty

PREFIX = "/api/billing"
# A citizen's payment orders on the dashboard: one page holds them all.
ORDERS_PAGE = 100


class Order(BaseModel):
    """The payment order of a request: what to pay, by when, and how far the payment got
    (created, checkout_started, paid, failed, cancelled, expired)."""

    request_id: uuid.UUID | None = None
    description: str | None = None
    plate: str | None = None
    amount_cents: int
    currency: str = "EUR"
    due_date: date | None = None
    notice_number: str | None = None
    status: str
    status_label: str | None = None
    # Whether a checkout may be opened now (None: the service did not say).
    can_pay: bool | None = None
    receipt_available: bool = False
    receipt_number: str | None = None
    # The invoice: issued (``invoice_number``), or still to be asked for through
    # ``invoice_deadline`` (the 10th day after the payment, included). Not said: neither.
    invoice_available: bool = False
    invoice_number: str | None = None
    invoice_requestable: bool = False
    invoice_deadline: date | None = None
    paid_at: datetime | None = None

    @property
    def paid(self) -> bool:
        return self.status == "paid"


class Payment(Order):
    """An order as operators list it, with its citizen."""

    user_id: uuid.UUID | None = None
    payer_name: str | None = None
    payer_tax_code: str | None = None
    transaction_id: str | None = None


class Checkout(BaseModel):
    """The provider's checkout page the browser goes to."""

    redirect_url: str


# --- invoices --------------------------------------------------------------------------------


class Buyer(BaseModel):
    """Who an invoice is made out to: a person ("person") or a company or body ("company");
    ``name`` is the full name or the company name."""

    kind: str = "person"
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    tax_code: str | None = None
    vat_number: str | None = None
    address_street: str | None = None
    address_number: str | None = None
    postcode: str | None = None
    municipality: str | None = None
    province: str | None = None
    country: str = "IT"
    pec: str | None = None
    recipient_code: str | None = None


class BuyerDetails(BaseModel):
    """The billing data as the citizen completed the form, to be sent: the service checks each
    field (and answers next to it); a field left empty is left out."""

    kind: str = ""
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    tax_code: str = ""
    vat_number: str = ""
    address_street: str = ""
    address_number: str = ""
    postcode: str = ""
    municipality: str = ""
    province: str = ""
    country: str = ""
    pec: str = ""
    recipient_code: str = ""

    def body(self) -> dict[str, Any]:
        return without_empty(self.model_dump())


class InvoiceForm(BaseModel):
    """ "Richiedi fattura": whether the invoice may be asked for now, until when, why not
    (``reason_code``: invoice_not_available, invoice_already_issued, invoice_window_closed),
    and the billing data already known of the citizen."""

    eligible: bool
    deadline: date | None = None
    reason_code: str | None = None
    reason_if_not: str | None = None
    buyer: Buyer


class Invoice(BaseModel):
    """An issued invoice (``number`` like "FPR 12/2026"); amounts in cents, VAT included."""

    id: uuid.UUID | None = None
    request_id: uuid.UUID
    number: str
    issued_at: datetime | None = None
    issue_date: date | None = None
    amount_cents: int
    net_cents: int | None = None
    vat_cents: int | None = None
    vat_rate_percent: int | None = None
    currency: str = "EUR"
    description: str | None = None
    plate: str | None = None
    period: str | None = None
    paid_at: datetime | None = None
    receipt_number: str | None = None
    buyer: Buyer | None = None
    xml_filename: str | None = None


class IssuedInvoice(Invoice):
    """An invoice as operators list it, with its citizen."""

    user_id: uuid.UUID | None = None


def _period(start: date | None, end: date | None) -> dict[str, str | None]:
    """A period as billing reads it: its first and last day (days in Caserta, included)."""
    return {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None}


@dataclass(frozen=True)
class PeriodQuery:
    """A page of an operators' list: a citizen's (``user_id``) or a period's (``start`` to
    ``end``, either may be open)."""

    user_id: uuid.UUID | None
    start: date | None
    end: date | None
    limit: int
    offset: int

    def params(self) -> dict[str, Any]:
        user_id = str(self.user_id) if self.user_id else None
        period = _period(self.start, self.end)
        return without_empty({"user_id": user_id, **period, "limit": self.limit, "offset": self.offset})


class BillingClient(ServiceClient):
    # The citizen

    async def order(self, request_id: uuid.UUID) -> Order:
        return await self._user_get(Order, f"{PREFIX}/orders/{request_id}")

    async def checkout(self, request_id: uuid.UUID, return_url: str) -> Checkout:
        """A checkout at the provider, which sends the browser back to ``return_url`` (a page
        of the portal, on its public origin) with ``?esito=ok|annullato|rifiutato``."""
        body = {"return_url": return_url}
        return await self._user_post(Checkout, f"{PREFIX}/orders/{request_id}/checkout", json=body)

    async def orders(self) -> Page[Order]:
        """The logged-in citizen's payment orders, newest first."""
        return await self._user_get(Page[Order], f"{PREFIX}/orders", params={"limit": ORDERS_PAGE})

    async def receipt(self, request_id: uuid.UUID) -> Download:
        """The receipt of a paid request, as a PDF (citizens their own, operators any)."""
        return await self._user_download(f"{PREFIX}/receipts/{request_id}")

    async def invoice_form(self, request_id: uuid.UUID) -> InvoiceForm:
        return await self._user_get(InvoiceForm, f"{PREFIX}/invoices/{request_id}/form")

    async def request_invoice(self, request_id: uuid.UUID, buyer: BuyerDetails) -> Invoice:
        """Issues the invoice of a paid request, made out to ``buyer``."""
        return await self._user_post(Invoice, f"{PREFIX}/invoices/{request_id}", json=buyer.body())

    async def invoice_pdf(self, request_id: uuid.UUID) -> Download:
        """The invoice as a PDF, the courtesy copy (citizens their own, operators any)."""
        return await self._user_download(f"{PREFIX}/invoices/{request_id}/pdf")

    async def invoice_xml(self, request_id: uuid.UUID) -> Download:
        """The electronic invoice, the FatturaPA XML file sent through SDI."""
        return await self._user_download(f"{PREFIX}/invoices/{request_id}/xml")

    # Operators

    async def payments(self, query: PeriodQuery) -> Page[Payment]:
        """The payments of a citizen, or paid within a period."""
        return await self._user_get(Page[Payment], f"{PREFIX}/admin/payments", params=query.params())

    async def payments_csv(self, start: date, end: date) -> Download:
        """The payments received in a period, as the CSV the offices open in a spreadsheet."""
        return await self._export("payments.csv", start, end)

    async def invoices(self, query: PeriodQuery) -> Page[IssuedInvoice]:
        """The invoices of a citizen, or issued within a period."""
        return await self._user_get(Page[IssuedInvoice], f"{PREFIX}/admin/invoices", params=query.params())

    async def invoices_csv(self, start: date, end: date) -> Download:
        """The invoices issued in a period, as a CSV for a spreadsheet."""
        return await self._export("invoices.csv", start, end)

    async def invoices_zip(self, start: date, end: date) -> Download:
        """The FatturaPA files of the invoices issued in a period (at most a year), in a ZIP."""
        return await self._export("invoices.zip", start, end)

    async def _export(self, filename: str, start: date, end: date) -> Download:
        return await self._user_download(f"{PREFIX}/admin/{filename}", params=_period(start, end))
