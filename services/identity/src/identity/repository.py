"""Queries of the identity service, shared by its use cases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from identity.domain.errors import in_use
from identity.models import Account, RegistrationSession
from kit.errors import DomainError


def in_use_refusals(*, email_field: str = "email") -> dict[str, Callable[[], DomainError]]:
    """What each unique index of e-mails and codici fiscali answers when it refuses a write
    (``kit.uow.flush_unique``): the 409 naming the field it protects."""
    return {
        "uq_accounts_email": lambda: in_use({"email"}, email_field=email_field),
        "uq_registration_sessions_email": lambda: in_use({"email"}, email_field=email_field),
        "uq_accounts_tax_code": lambda: in_use({"tax_code"}),
        "uq_registration_sessions_tax_code": lambda: in_use({"tax_code"}),
    }


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


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def accounts_matching(q: str) -> SelectOfScalar[Account]:
    """Accounts whose name, e-mail or codice fiscale contains ``q`` (any case, blanks collapsed),
    by surname, name and e-mail: a total order, so that pages neither repeat nor skip."""
    pattern = _like(" ".join(q.split()))
    first = func.coalesce(Account.first_name, "")
    last = func.coalesce(Account.last_name, "")
    return (
        select(Account)
        .where(
            or_(
                col(Account.email).ilike(pattern, escape="\\"),
                col(Account.tax_code).ilike(pattern, escape="\\"),
                (first + " " + last).ilike(pattern, escape="\\"),
                (last + " " + first).ilike(pattern, escape="\\"),
            )
        )
        .order_by(
            col(Account.last_name).nulls_last(), col(Account.first_name), col(Account.email), col(Account.id)
        )
    )
