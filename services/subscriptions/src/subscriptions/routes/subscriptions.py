"""The citizen's subscriptions ("Abbonamenti Associati")."""

from fastapi import APIRouter

from kit.deps import Citizen, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import subscriptions

router = APIRouter(prefix="/subscriptions", tags=["abbonamenti"])


@router.get("", summary="I miei abbonamenti, dal più recente")
async def my_subscriptions(
    user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep, page: PageQuery
) -> Page[schemas.Subscription]:
    return await subscriptions.own(session, rt, user.user_id, page)
