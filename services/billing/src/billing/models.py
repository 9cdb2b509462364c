"""Tables owned by the billing service.

- ``payment_orders``: one per approved subscription request (its payment position: IUV, notice
  number, amount, due date) and where its payment stands.
- ``payments``: each checkout opened at the provider for an order, and its outcome.
- ``receipts`` and ``receipt_counters``: what a receipt states, frozen when the payment is
  recorded, numbered per year without gaps.
- ``invoices`` and ``invoice_counters``: an invoice asked for a paid order (one per order), its
  buyer, amounts and FatturaPA file, numbered per year without gaps.
- ``provider_notifications``: every signed notification applied (idempotency and audit).
- ``sandbox_*``: the sandbox provider's own records (positions, checkout sessions, and the
  notifications it still has to deliver), as a real provider would keep them on its side.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlmodel import Field

from billing.domain.orders import OrderStatus, PaymentStatus
from kit.clock import utcnow
from kit.models import service_base

Base = service_base()
metadata = Base.metadata

from kit.readmodel import citizens_table  # noqa: E402

citizens = citizens_table(metadata)

ORDER_STATUSES = tuple(s.value for s in OrderStatus)
PAYMENT_STATUSES = tuple(s.value for s in PaymentStatus)
SANDBOX_SESSION_STATUSES = ("open", "paid", "cancelled", "failed", "expired")


def _timestamp(*, nullable: bool = False, index: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True, index=index)
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=index)


class PaymentOrder(Base, table=True):
    """What a citizen owes for an approved request: its pagoPA payment position."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="ck_payment_orders_amount"),
        CheckConstraint(f"status IN {ORDER_STATUSES}", name="ck_payment_orders_status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Numbers the IUVs: the IUV base of the order's notice number.
    number: int = Field(sa_column=Column(BigInteger, Identity(), nullable=False, unique=True))
    request_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False, unique=True))
    user_id: uuid.UUID = Field(index=True)
    plate: str = Field(max_length=20)
    sector_code: str = Field(max_length=40)
    subscription_type_code: str = Field(max_length=40)
    description: str = Field(max_length=300)
    amount_cents: int
    currency: str = Field(default="EUR", max_length=3)
    due_date: date
    iuv: str = Field(max_length=17, unique=True)
    notice_number: str = Field(max_length=18, unique=True)
    payer_tax_code: str | None = Field(default=None, max_length=16)
    status: str = Field(default=OrderStatus.CREATED, max_length=20)
    # The latest checkout opened for the order (its outcome decides the order's state).
    current_payment_id: uuid.UUID | None = None
    position_created_at: datetime | None = _timestamp(nullable=True)
    paid_at: datetime | None = _timestamp(nullable=True, index=True)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Payment(Base, table=True):
    """One checkout at the provider for an order."""

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="ck_payments_status"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("payment_orders.id"), nullable=False, index=True)
    )
    # The provider's checkout session.
    session_id: str = Field(max_length=64, unique=True)
    return_url: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default=PaymentStatus.CHECKOUT_STARTED, max_length=20)
    started_at: datetime = _timestamp()
    expires_at: datetime | None = _timestamp(nullable=True)
    finished_at: datetime | None = _timestamp(nullable=True)
    # "notification" or "reconciliation": how the outcome became known.
    outcome_source: str | None = Field(default=None, max_length=20)
    transaction_id: str | None = Field(default=None, max_length=64)
    failure_reason: str | None = Field(default=None, max_length=200)


# The reconciliation looks only at checkouts still waiting for an outcome.
Index(
    "ix_payments_open",
    Payment.__table__.c.started_at,
    postgresql_where=text("status = 'checkout_started'"),
)


class Receipt(Base, table=True):
    """A receipt as issued: everything it states, so that its PDF is rendered again identically."""

    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("year", "sequence", name="uq_receipts_year_sequence"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("payment_orders.id"), nullable=False, unique=True)
    )
    payment_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("payments.id"), nullable=False))
    number: str = Field(max_length=20, unique=True)
    year: int
    sequence: int
    issued_at: datetime = _timestamp()
    paid_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    payer_name: str | None = Field(default=None, max_length=201)
    payer_tax_code: str | None = Field(default=None, max_length=16)
    plate: str = Field(max_length=20)
    description: str = Field(max_length=300)
    period: str | None = Field(default=None, max_length=60)
    amount_cents: int
    net_cents: int
    vat_cents: int
    vat_rate_percent: int
    currency: str = Field(default="EUR", max_length=3)
    notice_number: str = Field(max_length=18)
    iuv: str = Field(max_length=17)
    creditor_name: str = Field(max_length=100)
    creditor_tax_code: str = Field(max_length=11)
    transaction_id: str | None = Field(default=None, max_length=64)


class ReceiptCounter(Base, table=True):
    """The last receipt number of each year; its row is locked by the transaction that takes the
    next one, so numbers are consecutive and a rolled-back payment leaves no gap."""

    __tablename__ = "receipt_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = 0


class Invoice(Base, table=True):
    """An invoice as issued: its buyer, amounts and seller frozen, and its FatturaPA file as
    validated, so that its PDF and XML are served again identically."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("year", "sequence", name="uq_invoices_year_sequence"),
        # One invoice per paid order: the index decides between two requests racing.
        UniqueConstraint("order_id", name="uq_invoices_order_id"),
        CheckConstraint("buyer_kind IN ('person', 'company')", name="ck_invoices_buyer_kind"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    order_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("payment_orders.id"), nullable=False))
    request_id: uuid.UUID
    user_id: uuid.UUID = Field(index=True)
    number: str = Field(max_length=20, unique=True)
    year: int
    sequence: int
    # Numbers the files sent to SDI ("progressivo invio"), unique across years.
    file_number: int = Field(sa_column=Column(BigInteger, Identity(), nullable=False, unique=True))
    issued_at: datetime = _timestamp(index=True)
    issue_date: date

    buyer_kind: str = Field(max_length=10)
    buyer_first_name: str | None = Field(default=None, max_length=60)
    buyer_last_name: str | None = Field(default=None, max_length=60)
    buyer_company_name: str | None = Field(default=None, max_length=80)
    buyer_tax_code: str | None = Field(default=None, max_length=16)
    buyer_vat_number: str | None = Field(default=None, max_length=11)
    buyer_address_street: str = Field(max_length=60)
    buyer_address_number: str | None = Field(default=None, max_length=8)
    buyer_postcode: str = Field(max_length=5)
    buyer_municipality: str = Field(max_length=60)
    buyer_province: str = Field(max_length=2)
    buyer_country: str = Field(max_length=2)
    buyer_pec: str | None = Field(default=None, max_length=256)
    buyer_recipient_code: str = Field(max_length=7)

    description: str = Field(max_length=300)
    plate: str = Field(max_length=20)
    period: str | None = Field(default=None, max_length=60)
    amount_cents: int
    net_cents: int
    vat_cents: int
    vat_rate_percent: int
    currency: str = Field(default="EUR", max_length=3)
    paid_at: datetime = Field(sa_type=DateTime(timezone=True))
    receipt_number: str | None = Field(default=None, max_length=20)
    iuv: str = Field(max_length=17)

    seller_name: str = Field(max_length=100)
    seller_tax_code: str = Field(max_length=11)
    seller_vat_number: str = Field(max_length=11)
    seller_address: str = Field(max_length=200)

    xml_filename: str = Field(max_length=40)
    xml: str = Field(sa_type=Text)


class InvoiceCounter(Base, table=True):
    """The last invoice number of each year, locked like the receipts' counter: consecutive
    numbers under concurrent requests, and a rolled-back invoice gives its number back."""

    __tablename__ = "invoice_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = 0


class ProviderNotification(Base, table=True):
    """A verified notification of the provider, recorded with its effect."""

    __tablename__ = "provider_notifications"

    notification_id: str = Field(primary_key=True, max_length=64)
    notice_number: str = Field(max_length=18, index=True)
    session_id: str | None = Field(default=None, max_length=64)
    outcome: str = Field(max_length=20)
    result: str = Field(max_length=20)
    received_at: datetime = _timestamp()


# --- The sandbox provider's side ---------------------------------------------------------------


class SandboxPosition(Base, table=True):
    __tablename__ = "sandbox_positions"

    notice_number: str = Field(primary_key=True, max_length=18)
    iuv: str = Field(max_length=17)
    creditor_tax_code: str = Field(max_length=11)
    creditor_name: str = Field(max_length=100)
    amount_cents: int
    currency: str = Field(default="EUR", max_length=3)
    description: str = Field(max_length=300)
    due_date: date
    payer_tax_code: str = Field(max_length=16)
    payer_name: str | None = Field(default=None, max_length=201)
    status: str = Field(default="open", max_length=20)
    paid_at: datetime | None = _timestamp(nullable=True)
    paid_session_id: str | None = Field(default=None, max_length=64)
    transaction_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = _timestamp()


class SandboxSession(Base, table=True):
    __tablename__ = "sandbox_sessions"
    __table_args__ = (
        CheckConstraint(f"status IN {SANDBOX_SESSION_STATUSES}", name="ck_sandbox_sessions_status"),
    )

    id: str = Field(primary_key=True, max_length=64)
    notice_number: str = Field(
        sa_column=Column(
            String(18), ForeignKey("sandbox_positions.notice_number"), nullable=False, index=True
        )
    )
    return_url: str = Field(sa_type=Text)
    csrf_token: str = Field(max_length=64)
    status: str = Field(default="open", max_length=20)
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    completed_at: datetime | None = _timestamp(nullable=True)


class SandboxNotification(Base, table=True):
    """A notification the sandbox must deliver, kept until it is: a restart loses none."""

    __tablename__ = "sandbox_notifications"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    notification_id: str = Field(max_length=64, unique=True)
    notice_number: str = Field(max_length=18, index=True)
    body: str = Field(sa_type=Text)
    attempts: int = 0
    next_attempt_at: datetime = _timestamp()
    created_at: datetime = _timestamp()
    delivered_at: datetime | None = _timestamp(nullable=True)
    abandoned_at: datetime | None = _timestamp(nullable=True)
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_type=Text)


# The sender only ever scans undelivered rows.
Index(
    "ix_sandbox_notifications_pending",
    SandboxNotification.__table__.c.next_attempt_at,
    postgresql_where=text("delivered_at IS NULL AND abandoned_at IS NULL"),
)

SANDBOX_NOTIFY_CHANNEL = "billing_sandbox_notifications"
