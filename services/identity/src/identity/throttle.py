"""Login throttle buckets in the database, so that every replica counts the same failures
(``identity.domain.throttle`` holds the rules and the three keys of an attempt)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.domain.throttle import (
    Bucket,
    ThrottlePolicy,
    account_key,
    address_key,
    after_failure,
    pair_key,
    pair_prefix,
    retry_after_s,
)
from identity.models import LoginThrottle
from identity.settings import Settings


class LoginThrottler:
    def __init__(self, settings: Settings) -> None:
        window = timedelta(seconds=settings.login_failure_window_s)
        lockout = timedelta(seconds=settings.login_lockout_s)
        self.pair = ThrottlePolicy(
            settings.login_max_failures_per_pair,
            timedelta(seconds=settings.login_pair_memory_s),
            lockout,
            delay=timedelta(seconds=settings.login_pair_delay_s),
        )
        self.account = ThrottlePolicy(settings.login_max_failures_per_account, window, lockout)
        self.address = ThrottlePolicy(settings.login_max_failures_per_address, window, lockout)

    def policy(self, key: str) -> ThrottlePolicy:
        if key.startswith("pair:"):
            return self.pair
        return self.account if key.startswith("account:") else self.address

    @staticmethod
    def keys(email: str, client_address: str) -> list[str]:
        return [pair_key(email, client_address), address_key(client_address), account_key(email)]

    async def retry_after(
        self, session: AsyncSession, email: str, client_address: str, now: datetime
    ) -> int | None:
        """Seconds this address must wait before trying ``email`` again, or None. The account's
        own limit holds back only an address that already failed on it."""
        pair, address, account = self.keys(email, client_address)
        rows = {
            row.key: row
            for row in (
                await session.exec(
                    select(LoginThrottle).where(col(LoginThrottle.key).in_([pair, address, account]))
                )
            ).all()
        }
        keys = [pair, address]
        if (own := rows.get(pair)) is not None and own.failures > 0:
            keys.append(account)
        waits = [
            w for key in keys if key in rows and (w := retry_after_s(_bucket(rows[key]), now)) is not None
        ]
        return max(waits) if waits else None

    async def record_failure(
        self, session: AsyncSession, email: str, client_address: str, now: datetime
    ) -> None:
        """Within the caller's transaction; keys are locked in a fixed order (no deadlock
        between two failures counted at once)."""
        for key in sorted(self.keys(email, client_address)):
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

    async def succeeded(self, session: AsyncSession, email: str, client_address: str) -> None:
        """A success forgets this address's failures on the account, not the others'."""
        await session.exec(
            delete(LoginThrottle).where(col(LoginThrottle.key) == pair_key(email, client_address))
        )

    async def forget_account(self, session: AsyncSession, email: str) -> None:
        """Every failure counted on the account (its owner proved who they are)."""
        await session.exec(
            delete(LoginThrottle).where(
                or_(
                    col(LoginThrottle.key) == account_key(email),
                    col(LoginThrottle.key).startswith(pair_prefix(email), autoescape=True),
                )
            )
        )

    async def purge(self, session: AsyncSession, now: datetime) -> int:
        """Forget the keys whose window ended and that no block holds."""
        is_pair = col(LoginThrottle.key).startswith("pair:")
        result = await session.exec(
            delete(LoginThrottle)
            .where(
                or_(
                    and_(is_pair, col(LoginThrottle.window_started_at) <= now - self.pair.window),
                    and_(~is_pair, col(LoginThrottle.window_started_at) <= now - self.account.window),
                )
            )
            .where(or_(col(LoginThrottle.blocked_until).is_(None), col(LoginThrottle.blocked_until) <= now))
        )
        return result.rowcount


def _bucket(row: LoginThrottle) -> Bucket:
    return Bucket(row.failures, row.window_started_at, row.blocked_until)
