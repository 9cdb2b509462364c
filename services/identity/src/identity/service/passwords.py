"""Password recovery: a single-use link by e-mail, valid for a short time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Boolean, bindparam, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import PasswordChanged, PasswordResetRequested
from identity import schemas
from identity.domain import codes
from identity.domain.emails import InvalidEmail, normalize_email
from identity.domain.errors import ResetLinkInvalid
from identity.domain.passwords import new_password_errors
from identity.models import Account, PasswordResetToken
from identity.runtime import Runtime
from identity.service.auth import revoke_all
from kit.errors import Invalid
from kit.outbox import emit

log = structlog.get_logger(__name__)

FORGOT_ACCEPTED = "Se l'indirizzo è registrato, riceverai un'email con le istruzioni."


async def set_password(
    session: AsyncSession, rt: Runtime, account: Account, password: str, now: datetime
) -> None:
    """``password`` becomes the account's (hashed), and every reset link still open for the
    account stops working: after a reset and after a change from the profile alike."""
    account.password_hash = await rt.passwords.hash(password)
    account.password_changed_at = now
    account.updated_at = now
    session.add(account)
    await session.exec(
        update(PasswordResetToken)
        .where(col(PasswordResetToken.account_id) == account.id)
        .where(col(PasswordResetToken.used_at).is_(None))
        .values(used_at=now)
    )


def _reset_digest(rt: Runtime, token: str) -> str:
    return codes.digest(rt.settings.secret_bytes, "reset", token)


async def forgot(session: AsyncSession, rt: Runtime, email: str) -> schemas.Accepted:
    """Same answer whether or not the address has an account: no one learns who is registered.
    Nor from the time it takes: every request does the same work and runs the same three
    statements (the lookup, the link's insert, the event's insert), the two inserts writing
    no row when there is no account or a link went out moments ago."""
    try:
        email = normalize_email(email)
    except InvalidEmail:
        email = email.strip()
    now = rt.clock.now()
    recent = (
        select(PasswordResetToken.id)
        .where(PasswordResetToken.account_id == Account.id)
        .where(col(PasswordResetToken.used_at).is_(None))
        .where(
            PasswordResetToken.created_at > now - timedelta(seconds=rt.settings.password_reset_min_interval_s)
        )
        .exists()
    )
    found = (
        await session.exec(
            select(Account.id, Account.email, recent).where(func.lower(Account.email) == email.lower())
        )
    ).first()
    account_id, account_email, too_soon = found if found is not None else (None, email, True)
    send = not too_soon

    token = codes.new_token()
    expires_at = now + timedelta(seconds=rt.settings.password_reset_ttl_s)
    table = PasswordResetToken.__table__
    columns = ["id", "account_id", "token_hash", "created_at", "expires_at"]
    values = [uuid.uuid4(), account_id, _reset_digest(rt, token), now, expires_at]
    await session.exec(
        insert(table).from_select(
            columns,
            select(
                *(bindparam(None, v, type_=table.c[c].type) for c, v in zip(columns, values, strict=True))
            ).where(bindparam(None, send, type_=Boolean)),
        )
    )
    base = rt.settings.public_base_url.rstrip("/")
    event = PasswordResetRequested(
        user_id=account_id or uuid.uuid4(),
        email=account_email,
        reset_url=f"{base}/password/reimposta?t={token}",
        expires_at=expires_at,
    )
    await emit(session, event, when=send)
    if send:
        log.info("password.reset_requested", user_id=str(account_id))
    return schemas.Accepted(detail=FORGOT_ACCEPTED)


async def reset(session: AsyncSession, rt: Runtime, command: schemas.PasswordReset) -> None:
    now = rt.clock.now()
    link = (
        await session.exec(
            select(PasswordResetToken)
            .where(PasswordResetToken.token_hash == _reset_digest(rt, command.token))
            .with_for_update()
        )
    ).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise ResetLinkInvalid
    if errors := new_password_errors(command.password, command.password_confirmation):
        raise Invalid(errors)
    account = await session.get(Account, link.account_id, with_for_update=True)
    if account is None:
        raise ResetLinkInvalid
    # This link and every other one still open for the account stop working.
    await set_password(session, rt, account, command.password, now)
    # Whoever knew the old password is logged out everywhere.
    await revoke_all(session, account.id, now)
    await rt.throttler.forget_account(session, account.email)
    # As after a change from the profile: the account's address is told (notifications).
    await emit(session, PasswordChanged(user_id=account.id, email=account.email, changed_at=now))
    log.info("password.reset", user_id=str(account.id))
