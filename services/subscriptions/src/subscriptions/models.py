"""Tables owned by the subscriptions service: the catalogue of subscription types, the citizens'
requests, the subscriptions they become, the payments billing reported, the operators'
decision trail, and the read models of certifications and plates.

Two requests racing for one plate, or two payments racing for one request, are decided by the
database, not by a prior read: a partial unique index allows one open request per plate, a
unique index one subscription per request, and an exclusion constraint (btree_gist) keeps a
plate's subscriptions from ever overlapping.
"""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    func,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, ExcludeConstraint
from sqlmodel import Field

from kit.audit import audit_table
from kit.clock import utcnow
from kit.models import service_base
from kit.readmodel import version_column
from subscriptions.domain.statuses import REQUEST_KINDS, REQUEST_STATUSES, STORED_SUBSCRIPTION_STATUSES

Base = service_base()
metadata = Base.metadata

audit = audit_table(metadata)

OPEN_STATUSES_SQL = "status IN ('pending', 'approved')"


class CitizenCertification(Base, table=True):
    """Read model: a citizen's approved residency certifications (from certification events).

    The approval's details are facts, nullable only while an expiry delivered before its
    approval waits for them; ``expired`` is state, kept from the newest event."""

    __tablename__ = "citizen_certifications"

    certification_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    sector_code: str = Field(max_length=20)
    sector_name: str | None = Field(default=None, max_length=120)
    valid_from: date | None = None
    valid_until: date | None = None
    expired: bool = False
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    source_version: datetime = Field(sa_column=version_column())


class CitizenPlate(Base, table=True):
    """Read model: a citizen's associated plates (from vehicles events); ``active`` and
    ``dissociated_at`` are state (a dissociation is final: a new association is a new id)."""

    __tablename__ = "citizen_plates"

    plate_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    plate: str = Field(max_length=10, index=True)
    make: str | None = Field(default=None, max_length=60)
    model: str | None = Field(default=None, max_length=60)
    electric: bool | None = None
    active: bool = True
    dissociated_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    updated_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )
    source_version: datetime = Field(sa_column=version_column())


class SubscriptionType(Base, table=True):
    """A type of subscription in the catalogue. Its code never changes; a type no longer
    offered is deactivated, never deleted (requests refer to it). Requests copy its name,
    period and price when they are sent: a later change of price concerns new requests only."""

    __tablename__ = "subscription_types"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="ck_subscription_types_price"),
        CheckConstraint("duration_months >= 1", name="ck_subscription_types_duration"),
        CheckConstraint("vat_rate >= 0 AND vat_rate <= 100", name="ck_subscription_types_vat_rate"),
    )

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    sector_codes: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String(20)), nullable=False, server_default=text("'{}'")),
    )
    all_sectors: bool = False
    duration_months: int
    # Gross: what the citizen pays, VAT included, in euro cents.
    price_cents: int
    vat_rate: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False, server_default="22"))
    renewable: bool = True
    electric_only: bool = False
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SubscriptionRequest(Base, table=True):
    """A citizen's request for a subscription ("Nuova Richiesta" or "Auto Elettriche"), with what
    it asks for frozen when sent (plate, sector, type, period, price), the operator's decision,
    and its payment's deadline and outcome."""

    __tablename__ = "subscription_requests"
    __table_args__ = (
        CheckConstraint(f"status IN {REQUEST_STATUSES}", name="ck_subscription_requests_status"),
        CheckConstraint(f"kind IN {REQUEST_KINDS}", name="ck_subscription_requests_kind"),
        CheckConstraint("valid_until >= valid_from", name="ck_subscription_requests_period"),
        Index(
            "uq_subscription_requests_open_plate",
            "plate",
            unique=True,
            postgresql_where=text(OPEN_STATUSES_SQL),
        ),
        Index("ix_subscription_requests_queue", "status", "submitted_at"),
        Index("ix_subscription_requests_user", "user_id", "submitted_at"),
        Index(
            "ix_subscription_requests_awaiting_payment",
            "pay_by",
            postgresql_where=text("status = 'approved'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID
    kind: str = Field(max_length=16)
    certification_id: uuid.UUID | None = None
    plate_id: uuid.UUID
    plate: str = Field(max_length=10)
    sector_code: str = Field(max_length=20)
    sector_name: str = Field(max_length=120)
    subscription_type_code: str = Field(
        sa_column=Column(String(40), ForeignKey("subscription_types.code"), nullable=False)
    )
    subscription_type_name: str = Field(max_length=120)
    duration_months: int
    amount_cents: int
    vat_rate: Decimal = Field(sa_column=Column(Numeric(5, 2), nullable=False))
    currency: str = Field(default="EUR", max_length=3)
    valid_from: date
    valid_until: date
    description: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    decided_by: uuid.UUID | None = None
    outcome_reason: str | None = Field(default=None, sa_type=Text, nullable=True)
    # Approved: the last day to pay (Europe/Rome, included).
    pay_by: date | None = None
    reminded_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    expired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    paid_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    # A renewal ("Rinnova"): the subscription it continues.
    renewal_of: uuid.UUID | None = None


class Subscription(Base, table=True):
    """A subscription: what a paid (or free and approved) request became, with the serial its
    ticket prints. It expires the day after its last one (the expiry job stores ``expired``
    once), or is revoked early (``revoked_at``, ``revoked_reason``); the reminders before its
    end are recorded once each (``reminded_30_at``, ``reminded_7_at``)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(f"status IN {STORED_SUBSCRIPTION_STATUSES}", name="ck_subscriptions_status"),
        CheckConstraint("valid_until >= valid_from", name="ck_subscriptions_period"),
        Index("uq_subscriptions_request_id", "request_id", unique=True),
        Index("uq_subscriptions_serial", "serial", unique=True),
        Index("ix_subscriptions_user", "user_id", "valid_from"),
        Index("ix_subscriptions_plate", "plate", "valid_from"),
        Index("ix_subscriptions_plate_id", "plate_id"),
        Index("ix_subscriptions_running", "valid_until", postgresql_where=text("status = 'active'")),
        ExcludeConstraint(
            (literal_column("plate"), "="),
            (literal_column("daterange(valid_from, valid_until, '[]')"), "&&"),
            name="ex_subscriptions_plate_period",
            using="gist",
            where=text("status <> 'revoked'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    request_id: uuid.UUID = Field(sa_column=Column(ForeignKey("subscription_requests.id"), nullable=False))
    user_id: uuid.UUID
    plate_id: uuid.UUID
    plate: str = Field(max_length=10)
    sector_code: str = Field(max_length=20)
    sector_name: str = Field(max_length=120)
    subscription_type_code: str = Field(max_length=40)
    subscription_type_name: str = Field(max_length=120)
    valid_from: date
    valid_until: date
    status: str = Field(default="active", max_length=16)
    # The ticket's number: CE-2026-000123, yearly and gapless, given on activation.
    serial: str = Field(max_length=20)
    activated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expired_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    revoked_reason: str | None = Field(default=None, max_length=40)
    reminded_30_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    reminded_7_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class SubscriptionPayment(Base, table=True):
    """Every payment billing reported for a request, once (its id is the key): whether it
    activated the subscription, or is due back to the citizen and why."""

    __tablename__ = "subscription_payments"
    __table_args__ = (
        CheckConstraint("outcome IN ('activated', 'refund_due')", name="ck_subscription_payments_outcome"),
    )

    payment_id: uuid.UUID = Field(primary_key=True)
    payment_order_id: uuid.UUID
    request_id: uuid.UUID = Field(index=True)
    user_id: uuid.UUID
    amount_cents: int
    currency: str = Field(max_length=3)
    receipt_number: str = Field(max_length=100)
    paid_at: datetime = Field(sa_type=DateTime(timezone=True))
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    outcome: str = Field(max_length=16)
    refund_reason: str | None = Field(default=None, max_length=40)


class TicketSerialCounter(Base, table=True):
    """The last ticket serial of each year; its row is locked by the transaction that takes the
    next one, so serials are consecutive and a rolled-back activation leaves no gap."""

    __tablename__ = "ticket_serial_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = 0


class TicketKey(Base, table=True):
    """An Ed25519 key that signs tickets, shared by every replica; the private key is stored
    sealed (AES-GCM, with a key derived from TICKET_KEYS_SECRET). Which key signs and which are
    published: ``domain.ticket_keys``."""

    __tablename__ = "ticket_keys"

    kid: str = Field(primary_key=True, max_length=16)
    # The raw public key, base64url (the keys document's "x").
    public_key: str = Field(max_length=64)
    private_key_sealed: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    activates_at: datetime = Field(sa_type=DateTime(timezone=True))
    # Set when the key must stop counting at once (a leak): never published again, and the
    # tickets it signed are signed anew when downloaded.
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


class Ticket(Base, table=True):
    """A subscription's ticket as first issued: the token its QR code carries, kept so that every
    download prints the same ticket (a new one only when its key was revoked)."""

    __tablename__ = "tickets"

    subscription_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("subscriptions.id"), primary_key=True, nullable=False)
    )
    kid: str = Field(sa_column=Column(String(16), ForeignKey("ticket_keys.kid"), nullable=False, index=True))
    token: str = Field(sa_type=Text)
    issued_at: datetime = Field(sa_type=DateTime(timezone=True))
