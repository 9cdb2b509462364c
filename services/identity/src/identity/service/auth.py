"""Login (Fase 2), refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import schemas
from identity.domain import codes, errors
from identity.domain.emails import InvalidEmail, normalize_email
from identity.models import Account, RefreshToken
from identity.repository import account_by_email
from identity.runtime import Runtime

log = structlog.get_logger(__name__)


def _refresh_digest(rt: Runtime, token: str) -> str:
    return codes.digest(rt.settings.secret_bytes, "refresh", token)


async def issue_tokens(
    session: AsyncSession, rt: Runtime, account: Account, *, family_id: uuid.UUID, now: datetime
) -> schemas.TokenPair:
    """A new access token and a new refresh token of ``family_id`` (added to the session)."""
    access_token = await rt.keys.issue_access_token(
        rt.db,
        user_id=account.id,
        role=account.role,
        email=account.email,
        now=now.timestamp(),
        session_id=family_id,
    )
    refresh_token = codes.new_token()
    session.add(
        RefreshToken(
            account_id=account.id,
            family_id=family_id,
            token_hash=_refresh_digest(rt, refresh_token),
            created_at=now,
            expires_at=now + timedelta(seconds=rt.settings.refresh_token_ttl_s),
        )
    )
    return schemas.TokenPair(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=rt.settings.access_token_ttl_s,
        role=account.role,
    )


async def login(
    session: AsyncSession, rt: Runtime, command: schemas.Login, *, client_address: str
) -> schemas.TokenPair:
    now = rt.clock.now()
    try:
        email = normalize_email(command.email)
    except InvalidEmail:
        email = command.email.strip()
    if wait := await rt.throttler.retry_after(session, email, client_address, now):
        log.info("auth.login_throttled", client_address=client_address, retry_after=wait)
        raise errors.too_many_attempts(wait)

    account = await account_by_email(session, email)
    valid, new_hash = await rt.passwords.verify(command.password, account.password_hash if account else None)
    if account is None or not valid:
        # Nothing else is written before this point: the refusal keeps only the failure count.
        await rt.throttler.record_failure(session, email, client_address, now)
        log.info("auth.login_failed", client_address=client_address)
        raise errors.invalid_credentials(keep_changes=True)

    if new_hash:
        account.password_hash = new_hash
        session.add(account)
    await rt.throttler.succeeded(session, email, client_address)
    pair = await issue_tokens(session, rt, account, family_id=uuid.uuid4(), now=now)
    log.info("auth.login", user_id=str(account.id), role=account.role)
    return pair


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


async def revoke_all(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> None:
    await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.account_id) == account_id)
        .where(col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


async def revoke_others(
    session: AsyncSession, account_id: uuid.UUID, keep_family_id: uuid.UUID | None, now: datetime
) -> None:
    """End every login of the account but ``keep_family_id`` (all of them when it is None)."""
    query = (
        update(RefreshToken)
        .where(col(RefreshToken.account_id) == account_id)
        .where(col(RefreshToken.revoked_at).is_(None))
    )
    if keep_family_id is not None:
        query = query.where(col(RefreshToken.family_id) != keep_family_id)
    await session.exec(query.values(revoked_at=now))


async def refresh(session: AsyncSession, rt: Runtime, refresh_token: str) -> schemas.TokenPair:
    now = rt.clock.now()
    token = (
        await session.exec(
            select(RefreshToken)
            .where(RefreshToken.token_hash == _refresh_digest(rt, refresh_token))
            .with_for_update()
        )
    ).first()
    if token is None or token.revoked_at is not None:
        raise errors.refresh_token_invalid()
    if token.rotated_at is not None:
        # Someone presents a token already exchanged: one of the two holders is not the
        # citizen. End the whole login, and keep that although the request is refused.
        await revoke_family(session, token.family_id, now)
        log.warning(
            "auth.refresh_token_reused", user_id=str(token.account_id), family_id=str(token.family_id)
        )
        raise errors.refresh_token_reused(keep_changes=True)
    if token.expires_at <= now:
        raise errors.refresh_token_invalid()
    account = await session.get(Account, token.account_id)
    if account is None:
        raise errors.refresh_token_invalid()
    token.rotated_at = now
    session.add(token)
    return await issue_tokens(session, rt, account, family_id=token.family_id, now=now)


async def logout(session: AsyncSession, rt: Runtime, refresh_token: str) -> None:
    token = (
        await session.exec(
            select(RefreshToken).where(RefreshToken.token_hash == _refresh_digest(rt, refresh_token))
        )
    ).first()
    if token is not None:
        await revoke_family(session, token.family_id, rt.clock.now())
        log.info("auth.logout", user_id=str(token.account_id))
