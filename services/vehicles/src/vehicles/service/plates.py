"""The citizen's associated plates ("Targhe Associate"): list them, remove an association."""

from __future__ import annotations

import uuid

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import PlateDissociated
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from vehicles import repository, schemas
from vehicles.domain import errors
from vehicles.runtime import Runtime
from vehicles.service import views

log = structlog.get_logger(__name__)


async def list_own(
    session: AsyncSession, user_id: uuid.UUID, page: PageRequest
) -> Page[schemas.AssociatedPlate]:
    return await paginate(session, repository.plates_of(user_id), page, views.associated_plate)


async def dissociate(session: AsyncSession, rt: Runtime, user_id: uuid.UUID, plate_id: uuid.UUID) -> None:
    """The plate leaves the citizen's profile; anyone may then request it again. Locked, so two
    removals at once give one event."""
    plate = await repository.active_plate_of(session, user_id, plate_id, for_update=True)
    if plate is None:
        raise errors.plate_not_found()
    plate.dissociated_at = rt.clock.now()
    session.add(plate)
    await emit(
        session,
        PlateDissociated(
            plate_id=plate.id, user_id=user_id, plate=plate.plate, dissociated_at=plate.dissociated_at
        ),
    )
    log.info("plate.dissociated", plate_id=str(plate.id), user_id=str(user_id))
