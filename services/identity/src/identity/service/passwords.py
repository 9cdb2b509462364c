"""Password recovery: a single-use link by e-mail, valid for a short time."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import PasswordResetRequested
from identity import schemas
from identity.domain import codes
from identity.domain.emails import InvalidEmail, normalize_email
from identity.domain.errors import ResetLinkInvalid
from identity.domain.passwords import new_password_errors
from identity.domain.throttle import account_key
from identity.models import Account, PasswordResetToken
from identity.repository import account_by_email
from identity.runtime import Runtime
from identity.service.auth import revoke_all
from kit.errors import Invalid
from kit.outbox import emit

log = structlog.get_logger(__name__)

FORGOT_ACCEPTED = "Se l'indirizzo è registrato, riceverai un'email con le istruzioni."


def _reset_digest(rt: Runtime, token: str) -> str:
    return codes.digest(rt.settings.secret_bytes, "reset", token)


async def forgot(session: AsyncSession, rt: Runtime, email: str) -> schemas.Accepted:
    """Same answer whether or not the address has an account: no one learns who is registered."""
    accepted = schemas.Accepted(detail=FORGOT_ACCEPTED)
    try:
        email = normalize_email(email)
    except InvalidEmail:
        return accepted
    account = await account_by_email(session, email)
    if account is None:
        return accepted
    now = rt.clock.now()
    recent = (
        await session.exec(
            select(PasswordResetToken.id)
            .where(PasswordResetToken.account_id == account.id)
            .where(col(PasswordResetToken.used_at).is_(None))
            .where(
                PasswordResetToken.created_at
                > now - timedelta(seconds=rt.settings.password_reset_min_interval_s)
            )
        )
    ).first()
    if recent is not None:
        return accepted
    token = codes.new_token()
    expires_at = now + timedelta(seconds=rt.settings.password_reset_ttl_s)
    session.add(
        PasswordResetToken(
            account_id=account.id, token_hash=_reset_digest(rt, token), created_at=now, expires_at=expires_at
        )
    )
    base = rt.settings.public_base_url.rstrip("/")
    await emit(
        session,
        PasswordResetRequested(
            user_id=account.id,
            email=account.email,
            reset_url=f"{base}/password/reimposta?t={token}",
            expires_at=expires_at,
        ),
    )
    log.info("password.reset_requested", user_id=str(account.id))
    return accepted


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
    account.password_hash = await rt.passwords.hash(command.password)
    account.password_changed_at = now
    account.updated_at = now
    session.add(account)
    # This link and every other one still open for the account stop working.
    await session.exec(
        update(PasswordResetToken)
        .where(col(PasswordResetToken.account_id) == account.id)
        .where(col(PasswordResetToken.used_at).is_(None))
        .values(used_at=now)
    )
    # Whoever knew the old password is logged out everywhere.
    await revoke_all(session, account.id, now)
    await rt.throttler.clear(session, account_key(account.email))
    log.info("password.reset", user_id=str(account.id))
