"""The citizen's associated plates ("Targhe Associate")."""

import uuid

from fastapi import APIRouter, Response, status

from kit.deps import Citizen, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from vehicles import schemas
from vehicles.routes.deps import RuntimeDep
from vehicles.service import plates

router = APIRouter(prefix="/plates", tags=["targhe associate"])


@router.get("", summary="Le mie targhe associate")
async def my_plates(user: Citizen, session: UnitOfWorkDep, page: PageQuery) -> Page[schemas.AssociatedPlate]:
    return await plates.list_own(session, user.user_id, page)


@router.delete(
    "/{plate_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Rimuovi l'associazione di una mia targa",
    response_class=Response,
)
async def dissociate_plate(
    plate_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> None:
    await plates.dissociate(session, rt, user.user_id, plate_id)
