"""Request and response shapes of the billing API (pydantic)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from billing.domain.orders import OrderStatus

# Dates outside these years are no payment of ours (and could not be converted to Rome time).
MIN_YEAR, MAX_YEAR = 2000, 2199


class Order(BaseModel):
    """A payment order as its citizen sees it."""

    id: uuid.UUID
    request_id: uuid.UUID
    description: str
    plate: str
    amount_cents: int
    currency: str
    due_date: date
    notice_number: str
    iuv: str
    creditor_name: str
    creditor_tax_code: str
    status: OrderStatus
    status_label: str
    can_pay: bool
    receipt_available: bool
    receipt_number: str | None
    # The invoice: issued (``invoice_number``), or still to be asked for through
    # ``invoice_deadline`` (the 10th day after payment, Europe/Rome, included).
    invoice_available: bool
    invoice_number: str | None
    invoice_requestable: bool
    invoice_deadline: date | None
    paid_at: datetime | None
    created_at: datetime


class AdminPayment(Order):
    """A payment order as an operator sees it: with its citizen."""

    user_id: uuid.UUID
    payer_tax_code: str | None
    payer_name: str | None
    transaction_id: str | None


class CheckoutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Where the provider sends the browser back (a page of the portal), with ?esito=.
    return_url: str = Field(max_length=2000)


class CheckoutStarted(BaseModel):
    redirect_url: str
    expires_at: datetime


class NotificationAck(BaseModel):
    """``applied``: the outcome changed the payment; ``duplicate``: already known, nothing
    changed; ``ignored``: nothing to change (an outcome of a superseded checkout)."""

    result: Literal["applied", "duplicate", "ignored"]


class ProviderNotificationBody(BaseModel):
    """The body of a provider's notification (signed as it is sent)."""

    model_config = ConfigDict(extra="ignore")

    notification_id: str = Field(min_length=1, max_length=64)
    creditor_tax_code: str = Field(max_length=16)
    notice_number: str = Field(pattern=r"^[0-9]{18}$")
    iuv: str | None = Field(default=None, max_length=35)
    session_id: str | None = Field(default=None, min_length=1, max_length=64)
    outcome: Literal["paid", "failed", "cancelled"]
    amount_cents: int = Field(ge=0, le=10**12)
    currency: str = Field(default="EUR", max_length=3)
    occurred_at: AwareDatetime
    transaction_id: str | None = Field(default=None, max_length=64)
    psp: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=200)

    @field_validator("occurred_at")
    @classmethod
    def _plausible(cls, value: datetime) -> datetime:
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError("Data fuori dall'intervallo ammesso.")
        return value


# --- Invoices -----------------------------------------------------------------------------------

BuyerKind = Literal["person", "company"]
_Text = Annotated[str | None, Field(default=None, max_length=300)]


class Buyer(BaseModel):
    """Who an invoice is made out to: as the form prefills it, and as an issued invoice states it.
    ``name`` is the full name (person) or the company name."""

    kind: BuyerKind
    name: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    tax_code: str | None
    vat_number: str | None
    address_street: str | None
    address_number: str | None
    postcode: str | None
    municipality: str | None
    province: str | None
    country: str
    pec: str | None
    recipient_code: str | None


class InvoiceForm(BaseModel):
    """Whether the invoice of an order can be asked for now, until when, and the billing data
    known of the citizen to prefill the form."""

    eligible: bool
    deadline: date | None
    reason_code: str | None
    reason_if_not: str | None
    buyer: Buyer


class InvoiceRequest(BaseModel):
    """The billing data as the citizen completed it (the form's ``buyer``; ``name`` ignored).
    Each rule is checked with an Italian message per field."""

    model_config = ConfigDict(extra="ignore")

    kind: BuyerKind
    first_name: _Text
    last_name: _Text
    company_name: _Text
    tax_code: _Text
    vat_number: _Text
    address_street: _Text
    address_number: _Text
    postcode: _Text
    municipality: _Text
    province: _Text
    country: _Text
    pec: _Text
    recipient_code: _Text


class Invoice(BaseModel):
    """An issued invoice: ``number`` like ``FPR 12/2026``; amounts in cents, net + VAT = total
    paid; ``xml_filename`` the name of its FatturaPA file."""

    id: uuid.UUID
    request_id: uuid.UUID
    number: str
    issued_at: datetime
    issue_date: date
    amount_cents: int
    net_cents: int
    vat_cents: int
    vat_rate_percent: int
    currency: str
    description: str
    plate: str
    period: str | None
    paid_at: datetime
    receipt_number: str | None
    buyer: Buyer
    xml_filename: str


class AdminInvoice(Invoice):
    """An invoice as an operator sees it: with its citizen."""

    user_id: uuid.UUID
