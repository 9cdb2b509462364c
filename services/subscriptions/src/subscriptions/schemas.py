"""Request and response shapes of the subscriptions API (pydantic). Only shapes and generous
bounds here: the rules (codes, sectors, prices, reasons) are the domain's, which answers with
one Italian error per field. Money is always integer euro cents (``StrictInt``: a JSON number
with a fraction is refused, never rounded); VAT rates are decimal strings ("22.00")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from kit.audit import AuditEntry

RequestStatus = Literal["pending", "approved", "rejected", "paid", "expired_unpaid", "refund_due"]
SubscriptionStatus = Literal["active", "expired", "revoked"]
RequestKind = Literal["resident", "electric", "renewal"]
CodeText = Annotated[str, Field(max_length=100)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Subscription types.


class SubscriptionType(BaseModel):
    """A type as citizens choose it, with its price: gross (VAT included, what is paid), net and
    VAT in cents (net + VAT = gross, exactly)."""

    code: str
    name: str
    description: str
    sector_codes: list[str]
    all_sectors: bool
    duration_months: int
    price_cents: int
    net_cents: int
    vat_cents: int
    vat_rate: Decimal
    currency: str
    price_label: str
    renewable: bool
    electric_only: bool


class SubscriptionTypeAdmin(SubscriptionType):
    active: bool
    created_at: datetime
    updated_at: datetime


class SubscriptionTypeFields(_Body):
    name: str = Field(max_length=1000)
    description: str | None = Field(default=None, max_length=10_000)
    sector_codes: list[CodeText] = Field(default_factory=list, max_length=1000)
    all_sectors: StrictBool = False
    duration_months: StrictInt
    price_cents: StrictInt = Field(description="Prezzo IVA inclusa, in centesimi di euro")
    vat_rate: Decimal | None = Field(default=None, description="Aliquota IVA in percentuale (predefinita 22)")
    renewable: StrictBool = True
    electric_only: StrictBool = False
    active: StrictBool = True


class SubscriptionTypeCreate(SubscriptionTypeFields):
    code: CodeText


class SubscriptionTypeUpdate(SubscriptionTypeFields):
    """Every field of the type as it must become (the code, in the path, never changes)."""

    description: str = Field(max_length=10_000)
    sector_codes: list[CodeText] = Field(max_length=1000)
    all_sectors: StrictBool
    vat_rate: Decimal
    renewable: StrictBool
    electric_only: StrictBool
    active: StrictBool


# Requests.


class RequestCreate(_Body):
    """ "Nuova Richiesta": the certification, the plate and the type chosen."""

    certification_id: uuid.UUID
    plate_id: uuid.UUID
    subscription_type_code: CodeText


class ElectricRequestCreate(_Body):
    """ "Auto Elettriche": the plate certified electric; the type is the electric one (to be
    named only when the catalogue offers more than one)."""

    plate_id: uuid.UUID
    subscription_type_code: CodeText | None = None


class SubscriptionRequest(BaseModel):
    """A request as its citizen sees it."""

    id: uuid.UUID
    kind: RequestKind
    certification_id: uuid.UUID | None
    plate_id: uuid.UUID
    plate: str
    sector_code: str
    sector_name: str
    subscription_type_code: str
    subscription_type_name: str
    status: RequestStatus
    status_label: str
    submitted_at: datetime
    decided_at: datetime | None
    outcome_reason: str | None
    amount_cents: int
    net_cents: int
    vat_cents: int
    vat_rate: Decimal
    currency: str
    amount_label: str
    description: str
    pay_by: date | None
    valid_from: date
    valid_until: date
    paid_at: datetime | None
    subscription_id: uuid.UUID | None
    # A renewal ("Rinnova"): the subscription it continues.
    renewal_of: uuid.UUID | None


class AdminRequestSummary(SubscriptionRequest):
    user_id: uuid.UUID


class CertificationFacts(BaseModel):
    """The citizen's certification as this service knows it (from certification's events)."""

    certification_id: uuid.UUID
    sector_code: str
    sector_name: str | None
    valid_from: date | None
    valid_until: date | None
    expired: bool
    valid_today: bool


class PlateFacts(BaseModel):
    """The citizen's plate as this service knows it (from vehicles' events)."""

    plate_id: uuid.UUID
    plate: str
    make: str | None
    model: str | None
    electric: bool | None
    active: bool


class Payment(BaseModel):
    payment_id: uuid.UUID
    payment_order_id: uuid.UUID
    amount_cents: int
    currency: str
    receipt_number: str
    paid_at: datetime
    outcome: Literal["activated", "refund_due"]
    refund_reason: str | None


class AdminRequestDetail(AdminRequestSummary):
    """A request with what the operator decides on beside it, its payments and its trail."""

    decided_by: uuid.UUID | None
    reminded_at: datetime | None
    expired_at: datetime | None
    certification: CertificationFacts | None
    vehicle: PlateFacts | None
    payments: list[Payment]
    audit: list[AuditEntry]


class Approval(_Body):
    """Nothing to say when approving (the body may be omitted or ``{}``)."""


class Rejection(_Body):
    reason: str | None = Field(default=None, max_length=5000)


# The form's choices.


class CertificationOption(BaseModel):
    certification_id: uuid.UUID
    sector_code: str
    sector_name: str
    valid_from: date
    valid_until: date
    # The types this certification's sector allows (codes of ``RequestOptions.types``).
    allowed_type_codes: list[str]


class PlateOption(BaseModel):
    plate_id: uuid.UUID
    plate: str
    make: str | None
    model: str | None
    electric: bool


class RequestOptions(BaseModel):
    """What "Nuova Richiesta" and "Auto Elettriche" offer the citizen: valid certifications,
    associated plates (with the electric flag) and the types on offer."""

    certifications: list[CertificationOption]
    plates: list[PlateOption]
    types: list[SubscriptionType]


# Subscriptions.


class Subscription(BaseModel):
    id: uuid.UUID
    request_id: uuid.UUID
    plate_id: uuid.UUID
    plate: str
    sector_code: str
    sector_name: str
    subscription_type_code: str
    subscription_type_name: str
    valid_from: date
    valid_until: date
    status: SubscriptionStatus
    status_label: str
    activated_at: datetime
    # What was paid for it (its request's amount, VAT included): 0 for a free one, which has
    # no payment and so no receipt.
    amount_cents: int
    # The ticket's number (CE-2026-000123).
    serial: str
    # Revoked: from which day (Europe/Rome) and why (Italian).
    revoked_on: date | None
    revoked_reason: str | None
    # The ticket can be downloaded: neither revoked nor ended.
    ticket_available: bool
    # "Rinnova" may be sent now; it opens (or opened) on ``renewal_opens_on``.
    renewal_available: bool
    renewal_opens_on: date


# Renewal.


class Reason(BaseModel):
    """Why something may not be done: a stable code and what the citizen reads (Italian)."""

    code: str
    message: str


class RenewalPrefill(BaseModel):
    certification_id: uuid.UUID | None
    plate_id: uuid.UUID
    subscription_type_code: str


class PeriodOut(BaseModel):
    valid_from: date
    valid_until: date


class RenewalOffer(BaseModel):
    """What "Rinnova" would send for a subscription, and whether it may be sent now."""

    subscription_id: uuid.UUID
    available: bool
    opens_on: date
    reason_if_not: Reason | None
    prefill: RenewalPrefill
    period: PeriodOut
    amount_cents: int
    amount_label: str


# Enforcement.


class TokenVerification(_Body):
    """The text of a ticket's QR code."""

    token: str = Field(max_length=2000)


EnforcementOutcome = Literal["valid", "not_yet_valid", "expired", "revoked", "not_found", "invalid"]


class EnforcementSubscription(BaseModel):
    """The subscription a check found, as an enforcement officer needs it."""

    id: uuid.UUID
    serial: str
    plate: str
    sector_code: str
    sector_name: str
    subscription_type_code: str
    subscription_type_name: str
    valid_from: date
    valid_until: date
    status: SubscriptionStatus
    status_label: str
    revoked_on: date | None
    revoked_reason: str | None


class TicketFacts(BaseModel):
    """What a verified ticket's token states (signed: it cannot have been altered)."""

    kid: str
    serial: str
    plate: str
    sector_code: str
    valid_from: date
    valid_until: date
    issued_at: datetime


class EnforcementCheck(BaseModel):
    """Whether a plate (or a ticket) is covered today by a valid subscription, in which sector
    and until when; a revoked or expired one says so."""

    checked_on: date
    plate: str | None
    valid: bool
    outcome: EnforcementOutcome
    outcome_label: str
    subscription: EnforcementSubscription | None
    ticket: TicketFacts | None
