"""Citizens' subscription requests: the form's choices, "Nuova Richiesta" (certification, plate,
type), "Auto Elettriche" (a plate certified electric), and the citizen's own requests.

One open request per plate and no two subscriptions of a plate over the same days: sending a
request takes the plate's lock, reads its open request and its subscriptions, and the partial
unique index on open requests stands behind that read."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import SubscriptionRequestSubmitted
from kit.auth import Principal
from kit.errors import FieldError
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from kit.uow import flush_unique
from subscriptions import repository, schemas
from subscriptions.domain import errors
from subscriptions.domain.catalogue import allows_sector, is_code, normalize_code
from subscriptions.domain.decisions import description
from subscriptions.domain.eligibility import (
    Sector,
    certification_errors,
    is_usable_plate,
    is_valid_certification,
    plate_errors,
    subscription_sector,
    type_errors,
)
from subscriptions.domain.periods import Period, local_date, requested_period
from subscriptions.domain.statuses import RequestKind
from subscriptions.models import CitizenPlate, SubscriptionRequest, SubscriptionType
from subscriptions.runtime import Runtime
from subscriptions.service import trail
from subscriptions.service.views import request_view, type_view

RESIDENT = RequestKind.RESIDENT.value
ELECTRIC = RequestKind.ELECTRIC.value


async def options(session: AsyncSession, rt: Runtime, user_id: uuid.UUID) -> schemas.RequestOptions:
    """The citizen's valid certifications (with the types each allows), associated plates and
    the types on offer."""
    today = local_date(rt.clock.now())
    offered = await repository.active_types(session)
    certifications = [
        c
        for c in await repository.certifications_of(session, user_id)
        if is_valid_certification(c, user_id, today)
    ]
    plates = [p for p in await repository.plates_of(session, user_id) if is_usable_plate(p, user_id)]
    return schemas.RequestOptions(
        certifications=[
            schemas.CertificationOption(
                certification_id=c.certification_id,
                sector_code=c.sector_code,
                sector_name=c.sector_name or c.sector_code,
                valid_from=c.valid_from,  # type: ignore[arg-type]
                valid_until=c.valid_until,  # type: ignore[arg-type]
                allowed_type_codes=[t.code for t in offered if allows_sector(t, c.sector_code)],
            )
            for c in certifications
        ],
        plates=[
            schemas.PlateOption(
                plate_id=p.plate_id, plate=p.plate, make=p.make, model=p.model, electric=bool(p.electric)
            )
            for p in plates
        ],
        types=[type_view(t) for t in offered],
    )


async def _type(session: AsyncSession, code: str) -> SubscriptionType | None:
    code = normalize_code(code)
    return await repository.subscription_type(session, code) if is_code(code) else None


async def submit(
    session: AsyncSession,
    rt: Runtime,
    citizen: Principal,
    *,
    certification_id: uuid.UUID,
    plate_id: uuid.UUID,
    subscription_type_code: str,
) -> schemas.SubscriptionRequest:
    """ "Nuova Richiesta": refused, naming each field, unless the certification and the plate are
    the citizen's and valid, and the type is on offer for the certification's sector (and, when
    it is for electric cars, the plate is certified electric)."""
    now = rt.clock.now()
    today = local_date(now)
    certification = await repository.certification(session, certification_id)
    plate = await repository.plate(session, plate_id)
    subscription_type = await _type(session, subscription_type_code)
    certification_problems = certification_errors(certification, citizen.user_id, today)
    plate_problems = plate_errors(plate, citizen.user_id)
    problems: list[FieldError] = [*certification_problems, *plate_problems]
    problems += type_errors(
        subscription_type,
        sector_code=certification.sector_code if certification and not certification_problems else None,
        plate_electric=plate.electric if plate and not plate_problems else None,
    )
    if problems:
        raise errors.refused(problems)
    assert certification is not None and plate is not None and subscription_type is not None
    return await _send(
        session,
        citizen,
        kind=RESIDENT,
        certification_id=certification.certification_id,
        plate=plate,
        subscription_type=subscription_type,
        sector=subscription_sector(subscription_type, certification),
        today=today,
        now=now,
    )


async def _electric_type(session: AsyncSession, code: str | None) -> SubscriptionType:
    if code is not None:
        chosen = await _type(session, code)
        if chosen is None or not chosen.active:
            raise errors.refused([errors.type_not_found()])
        if not chosen.electric_only:
            raise errors.refused([errors.type_not_electric()])
        return chosen
    electric = [t for t in await repository.active_types(session) if t.electric_only]
    if not electric:
        raise errors.electric_type_unavailable()
    if len(electric) > 1:
        raise errors.electric_type_ambiguous()
    return electric[0]


async def submit_electric(
    session: AsyncSession,
    rt: Runtime,
    citizen: Principal,
    *,
    plate_id: uuid.UUID,
    subscription_type_code: str | None = None,
) -> schemas.SubscriptionRequest:
    """ "Auto Elettriche": a plate of the citizen's certified electric, the electric type, no
    certification (the type is valid in every sector). A type for electric cars restricted to
    some sectors needs a certification: it goes through "Nuova Richiesta"."""
    now = rt.clock.now()
    today = local_date(now)
    plate = await repository.plate(session, plate_id)
    if problems := plate_errors(plate, citizen.user_id):
        raise errors.refused(problems)
    assert plate is not None
    if not plate.electric:
        raise errors.refused([errors.plate_not_electric()])
    subscription_type = await _electric_type(session, subscription_type_code)
    if not subscription_type.all_sectors:
        raise errors.electric_type_needs_certification(subscription_type.sector_codes)
    return await _send(
        session,
        citizen,
        kind=ELECTRIC,
        certification_id=None,
        plate=plate,
        subscription_type=subscription_type,
        sector=subscription_sector(subscription_type, None),
        today=today,
        now=now,
    )


async def _send(
    session: AsyncSession,
    citizen: Principal,
    *,
    kind: str,
    certification_id: uuid.UUID | None,
    plate: CitizenPlate,
    subscription_type: SubscriptionType,
    sector: Sector,
    today: date,
    now: datetime,
) -> schemas.SubscriptionRequest:
    await repository.lock_plate(session, plate.plate)
    if await repository.open_request_for_plate(session, plate.plate) is not None:
        raise errors.plate_has_open_request()
    subscriptions = await repository.subscriptions_of_plate(session, plate.plate)
    current = next((s for s in subscriptions if s.valid_from <= today <= s.valid_until), None)
    period = requested_period(
        today, subscription_type.duration_months, current.valid_until if current is not None else None
    )
    if any(Period(s.valid_from, s.valid_until).overlaps(period) for s in subscriptions):
        raise errors.plate_has_subscription(period.label)
    return await create(
        session,
        citizen,
        kind=kind,
        certification_id=certification_id,
        plate=plate,
        subscription_type=subscription_type,
        sector=sector,
        period=period,
        now=now,
    )


async def create(
    session: AsyncSession,
    citizen: Principal,
    *,
    kind: str,
    certification_id: uuid.UUID | None,
    plate: CitizenPlate,
    subscription_type: SubscriptionType,
    sector: Sector,
    period: Period,
    now: datetime,
    renewal_of: uuid.UUID | None = None,
) -> schemas.SubscriptionRequest:
    """Write a request the rules allowed (the caller holds the plate's lock and checked its open
    request and subscriptions), its trail and ``SubscriptionRequestSubmitted``."""
    request = SubscriptionRequest(
        user_id=citizen.user_id,
        kind=kind,
        certification_id=certification_id,
        plate_id=plate.plate_id,
        plate=plate.plate,
        sector_code=sector.code,
        sector_name=sector.name,
        subscription_type_code=subscription_type.code,
        subscription_type_name=subscription_type.name,
        duration_months=subscription_type.duration_months,
        amount_cents=subscription_type.price_cents,
        vat_rate=subscription_type.vat_rate,
        valid_from=period.valid_from,
        valid_until=period.valid_until,
        description=description(subscription_type.name, sector.code, plate.plate, period),
        submitted_at=now,
        renewal_of=renewal_of,
    )
    session.add(request)
    await flush_unique(session, {errors.OPEN_REQUEST_INDEX: errors.plate_has_open_request})
    await trail.record(
        session,
        request.id,
        "submitted",
        actor=citizen,
        at=now,
        details={
            "plate": plate.plate,
            "subscription_type_code": subscription_type.code,
            **({"renewal_of": str(renewal_of)} if renewal_of else {}),
        },
    )
    await emit(
        session,
        SubscriptionRequestSubmitted(
            request_id=request.id,
            user_id=request.user_id,
            plate=request.plate,
            sector_code=request.sector_code,
            subscription_type_code=request.subscription_type_code,
            submitted_at=now,
        ),
    )
    return request_view(request, None)


async def own(
    session: AsyncSession, user_id: uuid.UUID, page: PageRequest
) -> Page[schemas.SubscriptionRequest]:
    """The citizen's requests, newest first."""
    return await paginate(
        session, repository.requests_of(user_id), page, lambda row: request_view(row[0], row[1])
    )


async def get_own(
    session: AsyncSession, user_id: uuid.UUID, request_id: uuid.UUID
) -> schemas.SubscriptionRequest:
    request = await repository.own_request(session, user_id, request_id)
    if request is None:
        raise errors.request_not_found()
    subscription = await repository.subscription_of_request(session, request.id)
    return request_view(request, subscription.id if subscription else None)
