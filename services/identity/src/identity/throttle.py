"""Login throttle buckets in the database, so that every replica counts the same failures
(``identity.domain.throttle`` holds the rules)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.domain.throttle import Bucket, ThrottlePolicy, after_failure, retry_after_s
from identity.models import LoginThrottle
from identity.settings import Settings


class LoginThrottler:
    def __init__(self, settings: Settings) -> None:
        window = timedelta(seconds=settings.login_failure_window_s)
        lockout = timedelta(seconds=settings.login_lockout_s)
        self.account = ThrottlePolicy(settings.login_max_failures_per_account, window, lockout)
        self.address = ThrottlePolicy(settings.login_max_failures_per_address, window, lockout)

    def policy(self, key: str) -> ThrottlePolicy:
        return self.account if key.startswith("account:") else self.address

    async def retry_after(self, session: AsyncSession, keys: list[str], now: datetime) -> int | None:
        rows = (await session.exec(select(LoginThrottle).where(col(LoginThrottle.key).in_(keys)))).all()
        waits = [w for row in rows if (w := retry_after_s(_bucket(row), now)) is not None]
        return max(waits) if waits else None

    async def record_failure(self, session: AsyncSession, keys: list[str], now: datetime) -> None:
        """Within the caller's transaction; keys are locked in a fixed order (no deadlock
        between two failures counted at once)."""
        for key in sorted(keys):
            await session.exec(
                insert(LoginThrottle)
                .values(key=key, failures=0, window_started_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
            )
            row = (
                await session.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
            ).one()
            bucket = after_failure(_bucket(row) if row.failures else None, now, self.policy(key))
            row.failures = bucket.failures
            row.window_started_at = bucket.window_started_at
            row.blocked_until = bucket.blocked_until
            session.add(row)
        await session.flush()

    async def clear(self, session: AsyncSession, key: str) -> None:
        await session.exec(delete(LoginThrottle).where(col(LoginThrottle.key) == key))

    async def purge(self, session: AsyncSession, now: datetime) -> int:
        """Forget the keys whose window ended and that no block holds (both policies share
        the window)."""
        result = await session.exec(
            delete(LoginThrottle)
            .where(col(LoginThrottle.window_started_at) <= now - self.account.window)
            .where(or_(col(LoginThrottle.blocked_until).is_(None), col(LoginThrottle.blocked_until) <= now))
        )
        return result.rowcount


def _bucket(row: LoginThrottle) -> Bucket:
    return Bucket(row.failures, row.window_started_at, row.blocked_until)
