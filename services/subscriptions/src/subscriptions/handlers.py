"""The events the subscriptions service consumes: its queue is bound to exactly these.

Each handler's name is its inbox key: keep it when moving or renaming the function.

A dissociated plate's subscriptions are revoked from the dissociation's day by its read-model
handler, in the same transaction (``service.lifecycle``); one activated later for a plate
already dissociated is revoked on activation, so the outcome does not depend on the order the
events arrive in. A certification's expiry only updates the read model: the subscriptions it
carried stay valid until their own end."""

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import Envelope
from contracts.events import (
    CertificationExpired,
    CertificationRequestApproved,
    PaymentCompleted,
    PlateDissociated,
    PlateRequestApproved,
)
from kit.consumer import EventHandlers
from kit.readmodel import apply_newer
from subscriptions.models import CitizenCertification, CitizenPlate
from subscriptions.runtime import Runtime
from subscriptions.service import lifecycle, payments

certifications = CitizenCertification.__table__  # type: ignore[attr-defined]
plates = CitizenPlate.__table__  # type: ignore[attr-defined]


async def certification_approved(
    session: AsyncSession, event: CertificationRequestApproved, envelope: Envelope
) -> None:
    await apply_newer(
        session,
        certifications,
        key={"certification_id": event.certification_id},
        version=envelope.occurred_at,
        facts={
            "user_id": event.user_id,
            "sector_code": event.sector_code,
            "sector_name": event.sector_name,
            "valid_from": event.valid_from,
            "valid_until": event.valid_until,
        },
        state={"expired": False},
    )


async def certification_expired(
    session: AsyncSession, event: CertificationExpired, envelope: Envelope
) -> None:
    await apply_newer(
        session,
        certifications,
        key={"certification_id": event.certification_id},
        version=envelope.occurred_at,
        facts={"user_id": event.user_id, "sector_code": event.sector_code},
        state={"expired": True},
    )


async def plate_approved(session: AsyncSession, event: PlateRequestApproved, envelope: Envelope) -> None:
    await apply_newer(
        session,
        plates,
        key={"plate_id": event.plate_id},
        version=envelope.occurred_at,
        facts={
            "user_id": event.user_id,
            "plate": event.plate,
            "make": event.make,
            "model": event.model,
            "electric": event.electric,
        },
        state={"active": True},
    )


def build_handlers(rt: Runtime) -> EventHandlers:
    async def payment_completed(session: AsyncSession, event: PaymentCompleted, envelope: Envelope) -> None:
        await payments.payment_completed(session, rt, event)

    async def plate_dissociated(session: AsyncSession, event: PlateDissociated, envelope: Envelope) -> None:
        await apply_newer(
            session,
            plates,
            key={"plate_id": event.plate_id},
            version=envelope.occurred_at,
            facts={"user_id": event.user_id, "plate": event.plate},
            state={"active": False, "dissociated_at": event.dissociated_at},
        )
        await lifecycle.revoke_for_dissociated_plate(
            session, event.plate_id, dissociated_at=event.dissociated_at, now=rt.clock.now()
        )

    handlers = EventHandlers()
    handlers.add(CertificationRequestApproved, "read_model.certification_approved", certification_approved)
    handlers.add(CertificationExpired, "read_model.certification_expired", certification_expired)
    handlers.add(PlateRequestApproved, "read_model.plate_approved", plate_approved)
    handlers.add(PlateDissociated, "read_model.plate_dissociated", plate_dissociated)
    handlers.add(PaymentCompleted, "payments.payment_completed", payment_completed)
    return handlers
