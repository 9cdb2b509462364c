"""Tables owned by the identity service.

E-mail addresses and codici fiscali are unique case-insensitively, through unique indexes on
``lower(email)`` and ``upper(tax_code)``: in accounts, and among registration sessions (an
expired session is deleted by the next registration that wants its address or code).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field

from kit.clock import utcnow
from kit.models import service_base

Base = service_base()
metadata = Base.metadata

ROLES = ("citizen", "operator", "admin")


def _optional_timestamp() -> Any:
    return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)


def _account_fk() -> Any:
    return Field(
        sa_column=Column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    )


class Account(Base, table=True):
    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_accounts_role"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320)
    # Staff accounts (operators, admins) have no codice fiscale nor personal details.
    tax_code: str | None = Field(default=None, max_length=16)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="citizen", max_length=16)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    sex: str | None = Field(default=None, max_length=1)
    birth_date: date | None = None
    birth_place: str | None = Field(default=None, max_length=100)
    address_street: str | None = Field(default=None, max_length=200)
    address_number: str | None = Field(default=None, max_length=20)
    postcode: str | None = Field(default=None, max_length=10)
    municipality: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    privacy_version: str | None = Field(default=None, max_length=20)
    privacy_accepted_at: datetime | None = _optional_timestamp()
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


Index("uq_accounts_email", func.lower(Account.__table__.c.email), unique=True)
Index("uq_accounts_tax_code", func.upper(Account.__table__.c.tax_code), unique=True)


class RegistrationSession(Base, table=True):
    """Fase 3 between "Registrati" and the anagrafica: holds the e-mail and the codice fiscale
    until it is completed, expires, or is locked by wrong OTPs."""

    __tablename__ = "registration_sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=320)
    tax_code: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    privacy_version: str = Field(max_length=20)
    privacy_accepted_at: datetime = Field(sa_type=DateTime(timezone=True))
    resume_token_hash: str = Field(max_length=64)
    otp_hash: str = Field(max_length=64)
    otp_sent_at: datetime = Field(sa_type=DateTime(timezone=True))
    otp_resends: int = 0
    otp_wrong_attempts: int = 0
    locked_at: datetime | None = _optional_timestamp()
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)


Index("uq_registration_sessions_email", func.lower(RegistrationSession.__table__.c.email), unique=True)
Index("uq_registration_sessions_tax_code", func.upper(RegistrationSession.__table__.c.tax_code), unique=True)


class RefreshToken(Base, table=True):
    """One link of a rotation chain; every token of a login shares its ``family_id``."""

    __tablename__ = "refresh_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = _account_fk()
    family_id: uuid.UUID = Field(index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    rotated_at: datetime | None = _optional_timestamp()
    revoked_at: datetime | None = _optional_timestamp()


class PasswordResetToken(Base, table=True):
    __tablename__ = "password_reset_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = _account_fk()
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)
    used_at: datetime | None = _optional_timestamp()


class EmailChangeRequest(Base, table=True):
    """At most one pending change per account: a new request replaces the previous one."""

    __tablename__ = "email_change_requests"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    account_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, unique=True)
    )
    new_email: str = Field(max_length=320)
    otp_hash: str = Field(max_length=64)
    otp_wrong_attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=DateTime(timezone=True), index=True)


class LoginThrottle(Base, table=True):
    """Failed logins of one key (a hashed e-mail, a client address) in the current window."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=100)
    failures: int = 0
    window_started_at: datetime = Field(sa_type=DateTime(timezone=True))
    blocked_until: datetime | None = _optional_timestamp()


class SigningKey(Base, table=True):
    """ES256 keys of the access tokens, shared by every replica; the private JWK is stored
    encrypted with a key derived from SECRET_KEY.

    A key signs from ``activates_at`` until the next key activates. A new key is published
    in the JWKS before it activates, so that every verifier knows it before the first token
    it signs; an old key stays published while tokens it signed may still be presented.
    """

    __tablename__ = "signing_keys"

    kid: str = Field(primary_key=True, max_length=64)
    algorithm: str = Field(default="ES256", max_length=10)
    public_jwk: dict[str, Any] = Field(sa_type=JSONB)
    private_jwk_encrypted: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    activates_at: datetime = Field(sa_type=DateTime(timezone=True))
    # Set when the key must stop counting at once (a leaked key, an unreadable one).
    revoked_at: datetime | None = _optional_timestamp()


class ServiceRating(Base, table=True):
    """A "Valuta questo servizio" answer: anyone may leave one, signed in or not, so it keeps
    no account; ``page`` is the portal path it was given on."""

    __tablename__ = "service_ratings"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="ck_service_ratings_stars"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    stars: int
    comment: str | None = Field(default=None, max_length=1000)
    page: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), index=True)
