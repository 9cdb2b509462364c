"""Sectors as citizens choose them ("Tipo di Autocertificazione")."""

from fastapi import APIRouter

from certification import schemas
from certification.service import sectors
from kit.deps import Citizen, CurrentUser, PageQuery, UnitOfWorkDep
from kit.pagination import Page

router = APIRouter(prefix="/sectors", tags=["settori"])


@router.get("", summary="Settori per i quali si può chiedere la certificazione")
async def list_sectors(user: CurrentUser, session: UnitOfWorkDep, page: PageQuery) -> Page[schemas.Sector]:
    return await sectors.active(session, page)


@router.get("/suggested", summary="Il settore dell'indirizzo di residenza del cittadino")
async def suggested_sector(user: Citizen, session: UnitOfWorkDep) -> schemas.SectorSuggestion:
    return await sectors.suggested(session, user.user_id)
