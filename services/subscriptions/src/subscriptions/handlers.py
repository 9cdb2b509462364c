"""The events the subscriptions service consumes: its queue is bound to exactly these."""

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import update
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import (
    CertificationExpired,
    CertificationRequestApproved,
    PlateDissociated,
    PlateRequestApproved,
)
from kit.consumer import EventHandlers
from subscriptions.models import CitizenCertification, CitizenPlate

handlers = EventHandlers()


@handlers.on(CertificationRequestApproved)
async def certification_approved(
    session: AsyncSession, event: CertificationRequestApproved, _: Envelope
) -> None:
    values = {
        "certification_id": event.certification_id,
        "user_id": event.user_id,
        "sector_code": event.sector_code,
        "sector_name": event.sector_name,
        "valid_from": event.valid_from,
        "valid_until": event.valid_until,
        "expired": False,
    }
    await session.exec(
        insert(CitizenCertification)
        .values(**values)
        .on_conflict_do_update(index_elements=["certification_id"], set_=values)
    )


@handlers.on(CertificationExpired)
async def certification_expired(session: AsyncSession, event: CertificationExpired, _: Envelope) -> None:
    await session.exec(
        update(CitizenCertification)
        .where(CitizenCertification.certification_id == event.certification_id)
        .values(expired=True)
    )


@handlers.on(PlateRequestApproved)
async def plate_approved(session: AsyncSession, event: PlateRequestApproved, _: Envelope) -> None:
    values = {
        "plate_id": event.plate_id,
        "user_id": event.user_id,
        "plate": event.plate,
        "make": event.make,
        "model": event.model,
        "electric": event.electric,
        "active": True,
    }
    await session.exec(
        insert(CitizenPlate).values(**values).on_conflict_do_update(index_elements=["plate_id"], set_=values)
    )


@handlers.on(PlateDissociated)
async def plate_dissociated(session: AsyncSession, event: PlateDissociated, _: Envelope) -> None:
    await session.exec(
        update(CitizenPlate).where(CitizenPlate.plate_id == event.plate_id).values(active=False)
    )
