"""Which ticket keys the keys document publishes at a given time: the kit's schedule
(``kit.keys``), plus the rule that a superseded key stays published as long as a ticket it
signed still matters (its subscription is not revoked and has not ended), so a ticket printed
before a rotation keeps verifying until its last day. A revoked key (a leak) is never published.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from kit.keys import ScheduledKey, by_activation, signing_kid

__all__ = ["ScheduledKey", "published_kids", "signing_kid"]


def published_kids(keys: Sequence[ScheduledKey], now: datetime, carried: Collection[str]) -> list[str]:
    """The keys to publish, newest first: the one signing now, those not yet active, and the
    superseded ones that ``carried`` names (they signed tickets still valid or yet to start)."""
    signer = signing_kid(keys, now)
    published = [
        k for k in by_activation(keys) if k.kid == signer or k.activates_at > now or k.kid in carried
    ]
    return [k.kid for k in reversed(published)]
