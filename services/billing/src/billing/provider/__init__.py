"""The payment provider, as billing sees it: an interface shaped like pagoPA.

Billing creates a payment position (creditor, notice number, amount, due date, payer), opens a
checkout on it and sends the citizen's browser to the provider's page; the provider tells the
outcome later with a signed notification (``POST {prefix}/provider/notifications``), and
answers a status query by notice number when a notification is late or lost.

The default implementation is the sandbox (``billing.provider.sandbox``); a real pagoPA
adapter implements the same three methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

PositionState = Literal["open", "paid"]


class ProviderUnavailable(Exception):
    """The provider did not answer (or is not configured): try again later."""


@dataclass(frozen=True)
class PaymentPosition:
    creditor_tax_code: str
    creditor_name: str
    notice_number: str
    iuv: str
    amount_cents: int
    currency: str
    description: str
    due_date: date
    payer_tax_code: str
    payer_name: str | None


@dataclass(frozen=True)
class Checkout:
    session_id: str
    redirect_url: str
    expires_at: datetime


@dataclass(frozen=True)
class CollectedPayment:
    """A payment the provider collected on a position."""

    session_id: str
    paid_at: datetime
    amount_cents: int
    currency: str
    transaction_id: str | None


@dataclass(frozen=True)
class PositionStatus:
    notice_number: str
    state: PositionState
    payment: CollectedPayment | None = None


class PaymentProvider(Protocol):
    async def create_position(self, position: PaymentPosition) -> None:
        """Register the position (idempotent: creating it again with the same notice number
        changes nothing)."""

    async def start_checkout(self, notice_number: str, *, return_url: str, expires_at: datetime) -> Checkout:
        """Open a checkout session on the position; the citizen's browser goes to
        ``redirect_url`` and comes back to ``return_url`` with ``?esito=ok|annullato|rifiutato``."""

    async def status(self, notice_number: str) -> PositionStatus:
        """Whether the position was paid, and how."""


class UnconfiguredProvider:
    """Stands in when no provider is configured (production without the sandbox and without
    a real adapter): every call says the provider is unavailable."""

    async def create_position(self, position: PaymentPosition) -> None:
        raise ProviderUnavailable("no payment provider configured")

    async def start_checkout(self, notice_number: str, *, return_url: str, expires_at: datetime) -> Checkout:
        raise ProviderUnavailable("no payment provider configured")

    async def status(self, notice_number: str) -> PositionStatus:
        raise ProviderUnavailable("no payment provider configured")
