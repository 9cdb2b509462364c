"""Login throttling: failures counted in a window per key; reaching the limit blocks the key
for a while.

Three keys per attempt, so that an attacker is slowed without locking the owner out:

- the pair (account, client address): after a few failures that address waits before trying
  that account again, 1, 2, 4… minutes up to a cap (progressive); only a success from that
  address or a quiet period forgets it;
- the client address, whatever the account: one address guessing many accounts is blocked;
- the account, whatever the address: a limit much higher than the pair's, and it blocks only the
  addresses that already failed on the account (``blocks_clean_addresses`` false). An address
  without failures on the account is never held back by the others' failures: nobody can lock
  the owner out by failing on purpose."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


def account_key(email: str) -> str:
    """By e-mail, existing or not: an unknown address is throttled like a known one. Hashed,
    so the table does not collect the addresses people typed."""
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def address_key(address: str) -> str:
    return "address:" + address[:90]


def pair_key(email: str, address: str) -> str:
    """One account tried from one client address; starts with ``pair_prefix(email)``."""
    return pair_prefix(email) + hashlib.sha256(address.encode()).hexdigest()[:40]


def pair_prefix(email: str) -> str:
    return "pair:" + account_key(email).removeprefix("account:") + ":"


@dataclass(frozen=True)
class ThrottlePolicy:
    """``max_failures`` within ``window`` block the key for ``lockout``. A progressive policy
    counts its window from the last failure (failures are forgotten after a quiet ``window``)
    and blocks for ``delay``, doubled at each further failure, at most ``lockout``."""

    max_failures: int
    window: timedelta
    lockout: timedelta
    delay: timedelta | None = None

    @property
    def progressive(self) -> bool:
        return self.delay is not None

    def block_for(self, failures: int) -> timedelta:
        if self.delay is None:
            return self.lockout
        doublings = min(failures - self.max_failures, 30)
        return min(self.delay * 2**doublings, self.lockout)


@dataclass(frozen=True)
class Bucket:
    failures: int
    window_started_at: datetime
    blocked_until: datetime | None = None


def retry_after_s(bucket: Bucket | None, now: datetime) -> int | None:
    """Seconds the key stays blocked, or None when it may try now."""
    if bucket is None or bucket.blocked_until is None or bucket.blocked_until <= now:
        return None
    return max(1, math.ceil((bucket.blocked_until - now).total_seconds()))


def after_failure(bucket: Bucket | None, now: datetime, policy: ThrottlePolicy) -> Bucket:
    if bucket is None or now - bucket.window_started_at >= policy.window:
        bucket = Bucket(failures=1, window_started_at=now)
    else:
        started = now if policy.progressive else bucket.window_started_at
        bucket = Bucket(bucket.failures + 1, started, bucket.blocked_until)
    if bucket.failures >= policy.max_failures:
        return Bucket(bucket.failures, bucket.window_started_at, now + policy.block_for(bucket.failures))
    return bucket
