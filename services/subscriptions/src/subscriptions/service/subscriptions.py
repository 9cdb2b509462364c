"""Subscriptions: activating the one a request asked for (on payment, or on approval when it is
free), with its ticket's serial, and the citizen's list of them ("Abbonamenti Associati"), each
saying whether its ticket and its renewal are available."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import SubscriptionActivated
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from kit.uow import flush_unique
from subscriptions import repository, schemas
from subscriptions.domain import errors
from subscriptions.domain.periods import Period, local_date
from subscriptions.domain.tickets import ticket_serial
from subscriptions.models import Subscription, SubscriptionRequest
from subscriptions.runtime import Runtime
from subscriptions.service import lifecycle
from subscriptions.service.renewals import renewals_of
from subscriptions.service.views import subscription_view


async def own(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, page: PageRequest
) -> Page[schemas.Subscription]:
    today = local_date(rt.clock.now())
    rows = await paginate(session, repository.subscriptions_of(user_id), page, lambda row: row)
    renewals = await renewals_of(session, rt, user_id, [row[0] for row in rows.items], today)
    return Page[schemas.Subscription](
        items=[
            subscription_view(subscription, amount, today=today, renewal=renewals[subscription.id])
            for subscription, amount in rows.items
        ],
        total=rows.total,
        limit=rows.limit,
        offset=rows.offset,
    )


async def ensure_period_free(session: AsyncSession, request: SubscriptionRequest) -> Period:
    """The request's period, or ``Conflict`` when a subscription of the plate covers one of its
    days (the caller holds the plate's lock)."""
    period = Period(request.valid_from, request.valid_until)
    for existing in await repository.subscriptions_of_plate(session, request.plate):
        if Period(existing.valid_from, existing.valid_until).overlaps(period):
            raise errors.plate_has_subscription(period.label)
    return period


async def activate(session: AsyncSession, request: SubscriptionRequest, *, at: datetime) -> Subscription:
    """The subscription of ``request`` for its period, or ``Conflict`` when the plate already has
    one overlapping it. The caller holds the plate's lock (``repository.lock_plate``), so the
    check reads every committed subscription of the plate; the exclusion constraint stands
    behind it. Written in a savepoint: a refusal leaves the caller's transaction usable.

    Its ticket's serial is the next of the activation's year (Europe/Rome). The caller records
    its decision in the trail, then calls ``revoke_if_plate_gone``."""
    period = await ensure_period_free(session, request)
    async with session.begin_nested():
        year = local_date(at).year
        subscription = Subscription(
            serial=ticket_serial(year, await repository.allocate_ticket_serial(session, year)),
            request_id=request.id,
            user_id=request.user_id,
            plate_id=request.plate_id,
            plate=request.plate,
            sector_code=request.sector_code,
            sector_name=request.sector_name,
            subscription_type_code=request.subscription_type_code,
            subscription_type_name=request.subscription_type_name,
            valid_from=request.valid_from,
            valid_until=request.valid_until,
            activated_at=at,
        )
        session.add(subscription)
        await flush_unique(
            session,
            {
                errors.PLATE_PERIOD_EXCLUSION: lambda: errors.plate_has_subscription(period.label),
                errors.SUBSCRIPTION_OF_REQUEST_INDEX: errors.subscription_already_active,
            },
        )
    await emit(
        session,
        SubscriptionActivated(
            subscription_id=subscription.id,
            request_id=request.id,
            user_id=request.user_id,
            plate=request.plate,
            sector_code=request.sector_code,
            valid_from=request.valid_from,
            valid_until=request.valid_until,
        ),
    )
    return subscription


async def revoke_if_plate_gone(session: AsyncSession, subscription: Subscription, *, now: datetime) -> None:
    """A plate already dissociated when the activation is recorded (the events crossed) has
    the subscription revoked at once, from the dissociation's day, as if it had been active
    before. Called after the activating decision is in the trail, so the trail reads in order."""
    plate = await repository.plate(session, subscription.plate_id)
    if plate is not None and not plate.active and plate.dissociated_at is not None:
        await lifecycle.revoke_for_dissociated_plate(
            session, plate.plate_id, dissociated_at=plate.dissociated_at, now=now
        )
