"""The life of a subscription after its activation: the reminders before its end, its expiry,
and its revocation when its plate leaves the citizen's profile.

- Reminders: 30 and 7 days before the last day, once each (``reminded_30_at``,
  ``reminded_7_at``), ``SubscriptionExpiring`` v2 for notifications to mail with the renewal link;
  none for a subscription already renewed (or whose renewal is in progress); a subscription met
  first within its last week gets the 7-day one only.
- Expiry: the day after its last one, once: status ``expired``, ``SubscriptionExpired`` with
  ``expired_on`` the first day it no longer covers (as certification says of its own).
- Plate dissociated: the association's subscriptions that cover the dissociation day or start
  later are revoked from that day (``revoked_at`` the dissociation, ``revoked_reason``
  ``plate_dissociated``), once; ``SubscriptionRevoked`` tells notifications. Whatever the order the events
  arrive in: a subscription activated after its plate's dissociation was recorded is revoked
  on activation, from the same day.
- Certification expired: nothing changes for the subscriptions it carried (the citizen paid for
  their period, and the certification was valid when they were requested); renewing needs a
  certification valid on the renewal's first day (``domain.renewals``).

Jobs and handlers own no transaction: the scheduler and the consumer commit. Each change is a
conditional update that excludes what was already done, so two replicas, a redelivered event or
the same fact in a new event change nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import SubscriptionExpired, SubscriptionExpiringV2, SubscriptionRevoked
from kit.jobs import JobResult
from kit.outbox import emit
from subscriptions import repository
from subscriptions.domain.periods import local_date
from subscriptions.domain.renewals import opens_on
from subscriptions.domain.statuses import PLATE_DISSOCIATED, REVOCATION_REASONS
from subscriptions.models import Subscription
from subscriptions.service import trail

log = structlog.get_logger(__name__)

REMINDER_DAYS = (7, 30)  # the 7-day one first: it also settles the 30-day one


async def send_expiry_reminders(session: AsyncSession, now: datetime, *, window_days: int) -> JobResult:
    today = local_date(now)
    counts: dict[str, int] = {}
    for days in REMINDER_DAYS:
        reminded = await repository.remind_ending(session, days_before=days, today=today, now=now)
        for subscription in reminded:
            await emit(
                session,
                SubscriptionExpiringV2(
                    subscription_id=subscription.id,
                    user_id=subscription.user_id,
                    plate=subscription.plate,
                    valid_until=subscription.valid_until,
                    days_left=days,
                    sector_code=subscription.sector_code,
                    renewal_opens_on=opens_on(subscription.valid_until, window_days),
                ),
            )
        counts[f"reminded_{days}"] = len(reminded)
    return counts


async def expire_subscriptions(session: AsyncSession, now: datetime) -> JobResult:
    expired = await repository.expire_ended(session, today=local_date(now), now=now)
    for subscription in expired:
        await emit(
            session,
            SubscriptionExpired(
                subscription_id=subscription.id,
                user_id=subscription.user_id,
                plate=subscription.plate,
                expired_on=subscription.valid_until + timedelta(days=1),
            ),
        )
    return {"expired": len(expired)}


async def revoke_for_dissociated_plate(
    session: AsyncSession, plate_id: uuid.UUID, *, dissociated_at: datetime, now: datetime
) -> list[Subscription]:
    """Revoke, from the dissociation's day, the plate association's subscriptions that cover it
    or start later; the others (already ended, already revoked) are left as they are."""
    day = local_date(dissociated_at)
    revoked = await repository.revoke_of_plate(
        session, plate_id, from_day=day, at=dissociated_at, reason=PLATE_DISSOCIATED
    )
    for subscription in revoked:
        log.info(
            "subscription.revoked",
            subscription_id=str(subscription.id),
            plate_id=str(plate_id),
            reason=PLATE_DISSOCIATED,
        )
        await trail.record(
            session,
            subscription.request_id,
            "subscription_revoked",
            actor=trail.SYSTEM,
            at=now,
            reason=PLATE_DISSOCIATED,
            details={"subscription_id": str(subscription.id), "revoked_on": day.isoformat()},
        )
        await emit(
            session,
            SubscriptionRevoked(
                subscription_id=subscription.id,
                user_id=subscription.user_id,
                plate=subscription.plate,
                revoked_on=day,
                reason_code=PLATE_DISSOCIATED,
                reason=REVOCATION_REASONS[PLATE_DISSOCIATED],
            ),
        )
    return revoked
