"""Which identity keys the JWKS publishes at a given time: the kit's schedule (``kit.keys``),
plus identity's rule that a superseded key stays published for a while (access tokens it
signed are still presented until they expire)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from kit.keys import ScheduledKey, by_activation, signing_kid

__all__ = ["ScheduledKey", "published_kids", "signing_kid"]


def published_kids(keys: Sequence[ScheduledKey], now: datetime, keep_superseded: timedelta) -> set[str]:
    ordered = by_activation(keys)
    published: set[str] = set()
    for key, successor in zip(ordered, [*ordered[1:], None], strict=True):
        superseded_at = successor.activates_at if successor else None
        if superseded_at is None or superseded_at > now - keep_superseded:
            published.add(key.kid)
    return published
