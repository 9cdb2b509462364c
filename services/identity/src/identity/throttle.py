"""Login throttle buckets in the database, so that every replica counts the same failures
(``identity.domain.throttle`` holds the rules and the three keys of an attempt).

The same table holds the registration e-mails sent (``RegistrationLimiter``): one row per
e-mail, keyed ``regmail:<mailbox>:<id>`` and ``regaddr:<client address>:<id>``, counted in a
sliding window."""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, text
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
        self.registration_memory = timedelta(
            seconds=max(settings.registration_mailbox_window_s, settings.registration_address_window_s)
        )

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
        is_registration = col(LoginThrottle.key).startswith(REGISTRATION_PREFIX)
        started = col(LoginThrottle.window_started_at)
        result = await session.exec(
            delete(LoginThrottle)
            .where(
                or_(
                    and_(is_pair, started <= now - self.pair.window),
                    and_(is_registration, started <= now - self.registration_memory),
                    and_(~is_pair, ~is_registration, started <= now - self.account.window),
                )
            )
            .where(or_(col(LoginThrottle.blocked_until).is_(None), col(LoginThrottle.blocked_until) <= now))
        )
        return result.rowcount


REGISTRATION_PREFIX = "reg"


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:40]


def mailbox_prefix(email: str) -> str:
    """Hashed, so the table does not collect the addresses people typed."""
    return f"{REGISTRATION_PREFIX}mail:{_hashed(email.strip().lower())}:"


def client_prefix(client_address: str) -> str:
    return f"{REGISTRATION_PREFIX}addr:{_hashed(client_address)}:"


class RegistrationLimiter:
    """Registration e-mails per mailbox (a registration started or its OTP sent again) and
    registrations started per client address, in a sliding window, in the database so that
    every replica counts the same."""

    def __init__(self, settings: Settings) -> None:
        self.mailbox = (
            settings.registration_max_emails_per_mailbox,
            timedelta(seconds=settings.registration_mailbox_window_s),
        )
        self.address = (
            settings.registration_max_starts_per_address,
            timedelta(seconds=settings.registration_address_window_s),
        )

    def _limits(self, email: str, client_address: str | None) -> list[tuple[str, int, timedelta]]:
        limits = [(mailbox_prefix(email), *self.mailbox)]
        if client_address is not None:
            limits.append((client_prefix(client_address), *self.address))
        return sorted(limits)

    async def retry_after(
        self, session: AsyncSession, now: datetime, *, email: str, client_address: str | None = None
    ) -> int | None:
        """Seconds until one more e-mail may go to ``email`` (and one more registration start
        from ``client_address``), or None. Takes a transaction lock on each key, in a fixed
        order, so that two requests at once cannot both take the last place."""
        waits = []
        for prefix, limit, window in self._limits(email, client_address):
            await session.exec(text("SELECT pg_advisory_xact_lock(hashtext(:key))").bindparams(key=prefix))
            sent = (
                await session.exec(
                    select(LoginThrottle.window_started_at)
                    .where(col(LoginThrottle.key).startswith(prefix, autoescape=True))
                    .where(col(LoginThrottle.window_started_at) > now - window)
                    .order_by(col(LoginThrottle.window_started_at).desc())
                    .limit(limit)
                )
            ).all()
            if len(sent) >= limit:
                waits.append(max(1, math.ceil((sent[-1] + window - now).total_seconds())))
        return max(waits) if waits else None

    async def record(
        self, session: AsyncSession, now: datetime, *, email: str, client_address: str | None = None
    ) -> None:
        for prefix, _, _ in self._limits(email, client_address):
            session.add(LoginThrottle(key=prefix + uuid.uuid4().hex, failures=1, window_started_at=now))
        await session.flush()


def _bucket(row: LoginThrottle) -> Bucket:
    return Bucket(row.failures, row.window_started_at, row.blocked_until)
