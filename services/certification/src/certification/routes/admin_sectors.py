"""The sectors catalogue, for admins."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from certification import schemas
from certification.routes.deps import RuntimeDep
from certification.service import sectors
from kit.deps import Admin, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from kit.problems import problem_responses

router = APIRouter(prefix="/admin/sectors", tags=["catalogo"])

Code = Annotated[str, Path(max_length=50, description="Codice del settore")]


@router.get("", summary="Tutti i settori, attivi e disattivati")
async def list_sectors(
    user: Admin,
    session: UnitOfWorkDep,
    page: PageQuery,
    active: Annotated[bool | None, Query(description="Solo attivi (true) o disattivati (false)")] = None,
) -> Page[schemas.SectorAdmin]:
    return await sectors.catalogue(session, page, active=active)


@router.post("", status_code=201, summary="Crea un settore", responses=problem_responses(409))
async def create_sector(
    body: schemas.SectorCreate, user: Admin, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SectorAdmin:
    return await sectors.create(
        session, rt, code=body.code, name=body.name, description=body.description, streets=body.streets
    )


@router.get("/{code}", summary="Un settore")
async def get_sector(code: Code, user: Admin, session: UnitOfWorkDep) -> schemas.SectorAdmin:
    return await sectors.get(session, code)


@router.patch("/{code}", summary="Modifica un settore: nome, descrizione, vie, attivazione (i campi inviati)")
@router.put("/{code}", summary="Modifica un settore (come PATCH: cambiano solo i campi inviati)")
async def update_sector(
    code: Code, body: schemas.SectorUpdate, user: Admin, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SectorAdmin:
    return await sectors.update(
        session,
        rt,
        code,
        name=body.name,
        description=body.description,
        streets=body.streets,
        active=body.active,
    )


@router.post("/{code}/deactivate", summary="Disattiva un settore: non sarà più proposto ai cittadini")
async def deactivate_sector(
    code: Code, user: Admin, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SectorAdmin:
    return await sectors.set_active(session, rt, code, active=False)


@router.post("/{code}/activate", summary="Riattiva un settore")
async def activate_sector(
    code: Code, user: Admin, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SectorAdmin:
    return await sectors.set_active(session, rt, code, active=True)
