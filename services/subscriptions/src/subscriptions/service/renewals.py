"""Renewal ("Rinnova") of a citizen's subscription: what it would send and whether it may now
(``domain.renewals`` has the rules), and sending it: a request of kind ``renewal`` that goes to
the operators like every other, for the period that starts the day after the subscription's
last one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Principal
from subscriptions import repository, schemas
from subscriptions.domain import errors
from subscriptions.domain.eligibility import subscription_sector
from subscriptions.domain.money import format_euro
from subscriptions.domain.periods import local_date
from subscriptions.domain.renewals import Renewal, renewal
from subscriptions.domain.statuses import RequestKind
from subscriptions.models import Subscription
from subscriptions.runtime import Runtime
from subscriptions.service import requests


async def renewals_of(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, subscriptions: Sequence[Subscription], today: date
) -> dict[uuid.UUID, Renewal]:
    """The renewal of each of a citizen's ``subscriptions`` (a page of them), with what it rests
    on read once for them all."""
    if not subscriptions:
        return {}
    types = await repository.all_types(session)
    certifications = await repository.certifications_of(session, user_id)
    plates = {p.plate_id: p for p in await repository.plates_of(session, user_id)}
    numbers = sorted({s.plate for s in subscriptions})
    plate_subscriptions = await repository.subscriptions_of_plates(session, numbers)
    open_requests = await repository.open_requests_of_plates(session, numbers)
    sent = await repository.requests_by_id(session, [s.request_id for s in subscriptions])
    return {
        s.id: renewal(
            s,
            today=today,
            window_days=rt.settings.renewal_window_days,
            subscription_type=types[s.subscription_type_code],
            previous_certification_id=sent[s.request_id].certification_id,
            certifications=certifications,
            plate=plates.get(s.plate_id),
            plate_subscriptions=plate_subscriptions,
            open_requests=open_requests,
        )
        for s in subscriptions
    }


async def _own(session: AsyncSession, user_id: uuid.UUID, subscription_id: uuid.UUID) -> Subscription:
    subscription = await repository.subscription(session, subscription_id)
    if subscription is None or subscription.user_id != user_id:
        raise errors.subscription_not_found()
    return subscription


async def _renewal(session: AsyncSession, rt: Runtime, subscription: Subscription, today: date) -> Renewal:
    return (await renewals_of(session, rt, subscription.user_id, [subscription], today))[subscription.id]


def offer_view(subscription: Subscription, offer: Renewal) -> schemas.RenewalOffer:
    refusal = offer.refusal
    return schemas.RenewalOffer(
        subscription_id=subscription.id,
        available=offer.available,
        opens_on=offer.opens_on,
        reason_if_not=schemas.Reason(code=refusal.code, message=refusal.message) if refusal else None,
        prefill=schemas.RenewalPrefill(
            certification_id=offer.certification_id,
            plate_id=offer.plate_id,
            subscription_type_code=offer.subscription_type_code,
        ),
        period=schemas.PeriodOut(valid_from=offer.period.valid_from, valid_until=offer.period.valid_until),
        amount_cents=offer.amount_cents,
        amount_label="Gratuito" if offer.amount_cents == 0 else format_euro(offer.amount_cents),
    )


async def offer(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, subscription_id: uuid.UUID
) -> schemas.RenewalOffer:
    subscription = await _own(session, user_id, subscription_id)
    return offer_view(subscription, await _renewal(session, rt, subscription, local_date(rt.clock.now())))


async def renew(
    session: AsyncSession, rt: Runtime, citizen: Principal, subscription_id: uuid.UUID
) -> schemas.SubscriptionRequest:
    """Send the renewal, under the plate's lock (what it checks is read once the lock is held),
    or raise why it may not be sent."""
    now = rt.clock.now()
    subscription = await _own(session, citizen.user_id, subscription_id)
    await repository.lock_plate(session, subscription.plate)
    subscription = await _own(session, citizen.user_id, subscription_id)
    planned = await _renewal(session, rt, subscription, local_date(now))
    if planned.refusal is not None:
        raise planned.refusal
    plate = await repository.plate(session, planned.plate_id)
    subscription_type = await repository.subscription_type(session, planned.subscription_type_code)
    certification = (
        await repository.certification(session, planned.certification_id)
        if planned.certification_id is not None
        else None
    )
    assert plate is not None and subscription_type is not None
    return await requests.create(
        session,
        citizen,
        kind=RequestKind.RENEWAL.value,
        certification_id=planned.certification_id,
        plate=plate,
        subscription_type=subscription_type,
        sector=subscription_sector(subscription_type, certification),
        period=planned.period,
        now=now,
        renewal_of=subscription.id,
    )
