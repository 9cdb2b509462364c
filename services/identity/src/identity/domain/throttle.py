"""Login throttling: failures counted in a window per key (an account, a client address);
reaching the limit blocks the key for a while."""

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


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    window: timedelta
    lockout: timedelta


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
        bucket = Bucket(bucket.failures + 1, bucket.window_started_at, bucket.blocked_until)
    if bucket.failures >= policy.max_failures:
        return Bucket(bucket.failures, bucket.window_started_at, now + policy.lockout)
    return bucket
