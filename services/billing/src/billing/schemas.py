"""Request and response shapes of the billing API (pydantic)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

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
