"""Which ticket key signs, and which public keys the keys document publishes, at a given time.

Keys are ordered by activation: each one signs new tickets from its activation until the next
one's. A key not yet active is published already (devices learn it before the first ticket it
signs); a superseded key stays published as long as a ticket it signed still matters (its
subscription is not revoked and has not ended), so a ticket printed before a rotation keeps
verifying until its last day. A revoked key (a leak) is never published.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ScheduledKey:
    kid: str
    activates_at: datetime


def _ordered(keys: Sequence[ScheduledKey]) -> list[ScheduledKey]:
    return sorted(keys, key=lambda k: (k.activates_at, k.kid))


def signing_kid(keys: Sequence[ScheduledKey], now: datetime) -> str | None:
    active = [k for k in _ordered(keys) if k.activates_at <= now]
    return active[-1].kid if active else None


def published_kids(keys: Sequence[ScheduledKey], now: datetime, carried: Collection[str]) -> list[str]:
    """The keys to publish, newest first: the one signing now, those not yet active, and the
    superseded ones that ``carried`` names (they signed tickets still valid or yet to start)."""
    signer = signing_kid(keys, now)
    published = [k for k in _ordered(keys) if k.kid == signer or k.activates_at > now or k.kid in carried]
    return [k.kid for k in reversed(published)]
