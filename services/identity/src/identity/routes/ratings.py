"""The "Valuta questo servizio" ratings: anyone rates the portal; admins read the answers."""

from fastapi import APIRouter, Depends, status

from identity import schemas
from identity.routes.deps import RuntimeDep, require_live_login
from identity.service import ratings
from kit.deps import Admin, PageQuery, UnitOfWorkDep
from kit.pagination import Page

router = APIRouter(tags=["valutazioni"])


# No account needed: the rating box is on every page, public ones included.
@router.post("/ratings", status_code=status.HTTP_201_CREATED, summary="Valuta il servizio")
async def rate_service(body: schemas.RatingCreate, session: UnitOfWorkDep, rt: RuntimeDep) -> schemas.Rating:
    return await ratings.rate(session, rt.clock, body)


# Like the other admin routes: only while the login is alive.
@router.get(
    "/admin/ratings",
    summary="Valutazioni del servizio, dalla più recente",
    dependencies=[Depends(require_live_login)],
)
async def list_ratings(user: Admin, session: UnitOfWorkDep, page: PageQuery) -> Page[schemas.Rating]:
    return await ratings.list_ratings(session, page)
