"""Accounts as operators see them, and staff accounts created from the command line."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import schemas
from identity.domain.emails import email_errors, normalize_email
from identity.domain.errors import FieldError
from identity.domain.passwords import password_errors
from identity.models import Account
from identity.runtime import Runtime
from identity.service.common import taken_fields, utcnow, violated_unique_fields
from identity.service.profile import profile_of
from kit.problems import Problem

STAFF_ROLES = ("operator", "admin")


class AccountRefused(Exception):
    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(session: AsyncSession, q: str, *, limit: int) -> list[schemas.AccountSummary]:
    """Accounts whose name, e-mail or codice fiscale contains ``q`` (any case)."""
    pattern = _like(" ".join(q.split()))
    first = func.coalesce(Account.first_name, "")
    last = func.coalesce(Account.last_name, "")
    rows = (
        await session.exec(
            select(Account)
            .where(
                or_(
                    col(Account.email).ilike(pattern, escape="\\"),
                    col(Account.tax_code).ilike(pattern, escape="\\"),
                    (first + " " + last).ilike(pattern, escape="\\"),
                    (last + " " + first).ilike(pattern, escape="\\"),
                )
            )
            .order_by(col(Account.last_name).nulls_last(), col(Account.first_name), col(Account.email))
            .limit(limit)
        )
    ).all()
    return [
        schemas.AccountSummary(
            user_id=a.id,
            email=a.email,
            tax_code=a.tax_code,
            first_name=a.first_name,
            last_name=a.last_name,
            role=a.role,
            created_at=a.created_at,
        )
        for a in rows
    ]


async def get(session: AsyncSession, user_id: uuid.UUID) -> schemas.Profile:
    account = await session.get(Account, user_id)
    if account is None:
        raise Problem(404, "account_not_found", "Account non trovato.")
    return profile_of(account)


async def create_staff(
    session: AsyncSession,
    rt: Runtime,
    *,
    email: str,
    role: str,
    password: str,
    first_name: str | None = None,
    last_name: str | None = None,
) -> Account:
    """An operator or an admin; refused when the e-mail is taken or the password is weak."""
    if role not in STAFF_ROLES:
        raise AccountRefused([FieldError("role", "role_invalid", "Ruolo non ammesso.")])
    if errors := [*email_errors(email), *password_errors(password)]:
        raise AccountRefused(errors)
    email = normalize_email(email)
    now = utcnow()
    if await taken_fields(session, email=email, now=now):
        raise AccountRefused([FieldError("email", "email_in_use", "L'indirizzo email è già in uso.")])
    account = Account(
        email=email,
        role=role,
        password_hash=await rt.passwords.hash(password),
        first_name=first_name,
        last_name=last_name,
        created_at=now,
        updated_at=now,
        password_changed_at=now,
    )
    session.add(account)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        if violated_unique_fields(exc):
            raise AccountRefused(
                [FieldError("email", "email_in_use", "L'indirizzo email è già in uso.")]
            ) from None
        raise
    return account
