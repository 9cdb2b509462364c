"""Login (Fase 2), refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import schemas
from identity.domain import codes
from identity.domain.emails import InvalidEmail, normalize_email
from identity.models import Account, RefreshToken
from identity.runtime import Runtime
from identity.service.common import account_by_email, utcnow
from identity.service.throttle import account_key, address_key
from kit.problems import Problem

log = structlog.get_logger(__name__)

INVALID_CREDENTIALS = Problem(401, "invalid_credentials", "Email o password non corretti.")
REFRESH_INVALID = Problem(
    401, "refresh_token_invalid", "Sessione non valida o scaduta: effettua di nuovo l'accesso."
)
REFRESH_REUSED = Problem(
    401,
    "refresh_token_reused",
    "Per sicurezza la sessione è stata chiusa su tutti i dispositivi: effettua di nuovo l'accesso.",
)


def too_many_attempts(wait_s: int) -> Problem:
    minutes = max(1, (wait_s + 59) // 60)
    return Problem(
        429,
        "too_many_attempts",
        f"Troppi tentativi di accesso non riusciti: riprova tra {minutes} minuti.",
        headers={"Retry-After": str(wait_s)},
    )


def _refresh_digest(rt: Runtime, token: str) -> str:
    return codes.digest(rt.settings.secret_bytes, "refresh", token)


async def issue_tokens(
    session: AsyncSession, rt: Runtime, account: Account, *, family_id: uuid.UUID, now: datetime
) -> schemas.TokenPair:
    """A new access token and a new refresh token of ``family_id`` (added to the session)."""
    access_token = await rt.keys.issue_access_token(
        rt.db, user_id=account.id, role=account.role, email=account.email, now=now.timestamp()
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
    session: AsyncSession, rt: Runtime, body: schemas.Login, client_address: str
) -> schemas.TokenPair:
    now = utcnow()
    try:
        email = normalize_email(body.email)
    except InvalidEmail:
        email = body.email.strip()
    keys = [account_key(email), address_key(client_address)]
    if wait := await rt.throttler.retry_after(session, keys, now):
        log.info("auth.login_throttled", client_address=client_address, retry_after=wait)
        raise too_many_attempts(wait)

    account = await account_by_email(session, email)
    valid, new_hash = await rt.passwords.verify(body.password, account.password_hash if account else None)
    if account is None or not valid:
        await rt.throttler.record_failure(session, keys, now)
        await session.commit()
        log.info("auth.login_failed", client_address=client_address)
        raise INVALID_CREDENTIALS

    if new_hash:
        account.password_hash = new_hash
        session.add(account)
    await rt.throttler.clear(session, keys[0])
    pair = await issue_tokens(session, rt, account, family_id=uuid.uuid4(), now=now)
    await session.commit()
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


async def refresh(session: AsyncSession, rt: Runtime, body: schemas.RefreshRequest) -> schemas.TokenPair:
    now = utcnow()
    token = (
        await session.exec(
            select(RefreshToken)
            .where(RefreshToken.token_hash == _refresh_digest(rt, body.refresh_token))
            .with_for_update()
        )
    ).first()
    if token is None or token.revoked_at is not None:
        raise REFRESH_INVALID
    if token.rotated_at is not None:
        # Someone presents a token already exchanged: one of the two holders is not the
        # citizen. End the whole login.
        await revoke_family(session, token.family_id, now)
        await session.commit()
        log.warning(
            "auth.refresh_token_reused", user_id=str(token.account_id), family_id=str(token.family_id)
        )
        raise REFRESH_REUSED
    if token.expires_at <= now:
        raise REFRESH_INVALID
    account = await session.get(Account, token.account_id)
    if account is None:
        raise REFRESH_INVALID
    token.rotated_at = now
    session.add(token)
    pair = await issue_tokens(session, rt, account, family_id=token.family_id, now=now)
    await session.commit()
    return pair


async def logout(session: AsyncSession, rt: Runtime, body: schemas.RefreshRequest) -> None:
    token = (
        await session.exec(
            select(RefreshToken).where(RefreshToken.token_hash == _refresh_digest(rt, body.refresh_token))
        )
    ).first()
    if token is not None:
        await revoke_family(session, token.family_id, utcnow())
        await session.commit()
        log.info("auth.logout", user_id=str(token.account_id))
