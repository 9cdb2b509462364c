"""Which signing key signs, and which keys the JWKS publishes, at a given time.

Keys are ordered by activation: each one signs from its activation until the next one's.
A key not yet active is published already (verifiers learn it before its first token);
a superseded key stays published for a while (tokens it signed are still presented).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ScheduledKey:
    kid: str
    activates_at: datetime


def _ordered(keys: Sequence[ScheduledKey]) -> list[ScheduledKey]:
    return sorted(keys, key=lambda k: (k.activates_at, k.kid))


def signing_kid(keys: Sequence[ScheduledKey], now: datetime) -> str | None:
    active = [k for k in _ordered(keys) if k.activates_at <= now]
    return active[-1].kid if active else None


def published_kids(keys: Sequence[ScheduledKey], now: datetime, keep_superseded: timedelta) -> set[str]:
    ordered = _ordered(keys)
    published: set[str] = set()
    for key, successor in zip(ordered, [*ordered[1:], None], strict=True):
        superseded_at = successor.activates_at if successor else None
        if superseded_at is None or superseded_at > now - keep_superseded:
            published.add(key.kid)
    return published
