"""Problems and look-ups shared by the use cases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.domain.errors import FieldError
from identity.models import Account, RegistrationSession
from kit.problems import Problem

EMAIL_IN_USE = FieldError("email", "email_in_use", "L'indirizzo email è già associato a un altro account.")
TAX_CODE_IN_USE = FieldError(
    "tax_code", "tax_code_in_use", "Il codice fiscale è già associato a un altro account."
)
# Unique indexes → the request field they protect.
_UNIQUE_FIELDS = {
    "uq_accounts_email": "email",
    "uq_registration_sessions_email": "email",
    "uq_accounts_tax_code": "tax_code",
    "uq_registration_sessions_tax_code": "tax_code",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def validation_problem(errors: list[FieldError]) -> Problem:
    return Problem(
        422, "validation_error", "I dati inviati non sono validi.", errors=[e.as_dict() for e in errors]
    )


def in_use_problem(fields: set[str], *, email_field: str = "email") -> Problem:
    """409 naming each field already taken; the code is the first of them."""
    errors = []
    if "email" in fields:
        errors.append(FieldError(email_field, EMAIL_IN_USE.code, EMAIL_IN_USE.message))
    if "tax_code" in fields:
        errors.append(TAX_CODE_IN_USE)
    first = errors[0]
    return Problem(409, first.code, first.message, errors=[e.as_dict() for e in errors])


def violated_unique_fields(exc: IntegrityError) -> set[str]:
    """The fields whose unique index refused the write (empty: another integrity error)."""
    cause = getattr(exc.orig, "__cause__", None)
    constraint = getattr(cause, "constraint_name", None) or getattr(exc.orig, "constraint_name", None)
    field = _UNIQUE_FIELDS.get(constraint or "")
    return {field} if field else set()


async def taken_fields(
    session: AsyncSession, *, email: str | None = None, tax_code: str | None = None, now: datetime
) -> set[str]:
    """Which of ``email`` / ``tax_code`` an account or a live registration session holds."""
    taken: set[str] = set()
    wanted_email = email.lower() if email else None
    wanted_tax_code = tax_code.upper() if tax_code else None
    conditions_account = []
    conditions_session = []
    if wanted_email:
        conditions_account.append(func.lower(Account.email) == wanted_email)
        conditions_session.append(func.lower(RegistrationSession.email) == wanted_email)
    if wanted_tax_code:
        conditions_account.append(func.upper(Account.tax_code) == wanted_tax_code)
        conditions_session.append(func.upper(RegistrationSession.tax_code) == wanted_tax_code)
    if not conditions_account:
        return taken
    accounts = await session.exec(select(Account.email, Account.tax_code).where(or_(*conditions_account)))
    sessions = await session.exec(
        select(RegistrationSession.email, RegistrationSession.tax_code)
        .where(or_(*conditions_session))
        .where(RegistrationSession.expires_at > now)
        .where(col(RegistrationSession.locked_at).is_(None))
    )
    for held_email, held_tax_code in [*accounts.all(), *sessions.all()]:
        if wanted_email and held_email.lower() == wanted_email:
            taken.add("email")
        if wanted_tax_code and held_tax_code and held_tax_code.upper() == wanted_tax_code:
            taken.add("tax_code")
    return taken


async def account_by_email(session: AsyncSession, email: str) -> Account | None:
    return (await session.exec(select(Account).where(func.lower(Account.email) == email.lower()))).first()
