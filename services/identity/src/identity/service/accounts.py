"""Accounts as operators see them, and staff accounts created from the command line."""

from __future__ import annotations

import uuid

from sqlmodel.ext.asyncio.session import AsyncSession

from identity import schemas
from identity.domain import errors
from identity.domain.emails import email_errors, normalize_email
from identity.domain.passwords import password_errors
from identity.models import Account
from identity.repository import accounts_matching, taken_fields
from identity.runtime import Runtime
from identity.service.profile import profile_of
from kit.errors import Invalid
from kit.pagination import Page, PageRequest, paginate
from kit.uow import flush_unique

STAFF_ROLES = ("operator", "admin")


def summary_of(account: Account) -> schemas.AccountSummary:
    return schemas.AccountSummary(
        user_id=account.id,
        email=account.email,
        tax_code=account.tax_code,
        first_name=account.first_name,
        last_name=account.last_name,
        role=account.role,
        created_at=account.created_at,
    )


async def search(session: AsyncSession, q: str, page: PageRequest) -> Page[schemas.AccountSummary]:
    """Accounts whose name, e-mail or codice fiscale contains ``q`` (any case), one page."""
    return await paginate(session, accounts_matching(q), page, summary_of)


async def get(session: AsyncSession, user_id: uuid.UUID) -> schemas.Profile:
    account = await session.get(Account, user_id)
    if account is None:
        raise errors.account_not_found()
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
        raise errors.role_invalid()
    if problems := [*email_errors(email), *password_errors(password)]:
        raise Invalid(problems)
    email = normalize_email(email)
    now = rt.clock.now()
    if await taken_fields(session, email=email, now=now):
        raise errors.staff_email_in_use()
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
    await flush_unique(session, {"uq_accounts_email": errors.staff_email_in_use})
    return account
