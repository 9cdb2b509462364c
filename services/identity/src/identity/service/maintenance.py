"""Housekeeping: rows that no longer decide anything are deleted after a grace period (run by
the ``purge_expired_rows`` job, ``identity.jobs``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import EmailChangeRequest, PasswordResetToken, RefreshToken, RegistrationSession
from identity.runtime import Runtime


async def purge_expired(session: AsyncSession, rt: Runtime, now: datetime) -> dict[str, int]:
    cutoff = now - timedelta(seconds=rt.settings.purge_grace_s)
    counts: dict[str, int] = {}
    statements = {
        "registration_sessions": delete(RegistrationSession).where(
            or_(col(RegistrationSession.expires_at) < cutoff, col(RegistrationSession.locked_at) < cutoff)
        ),
        "password_reset_tokens": delete(PasswordResetToken).where(
            col(PasswordResetToken.expires_at) < cutoff
        ),
        # Rotated and revoked tokens stay until they expire: reuse is detected until then.
        "refresh_tokens": delete(RefreshToken).where(col(RefreshToken.expires_at) < cutoff),
        "email_change_requests": delete(EmailChangeRequest).where(
            col(EmailChangeRequest.expires_at) < cutoff
        ),
    }
    for name, statement in statements.items():
        counts[name] = (await session.exec(statement)).rowcount
    counts["login_throttle"] = await rt.throttler.purge(session, now)
    return counts
