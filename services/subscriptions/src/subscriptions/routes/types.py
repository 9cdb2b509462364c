"""Subscription types as citizens choose them ("tipologia dell'abbonamento")."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from kit.deps import Citizen, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import catalogue

router = APIRouter(prefix="/types", tags=["tipologie"])


@router.get("", summary="Tipologie di abbonamento disponibili (per una certificazione, se indicata)")
async def offered_types(
    user: Citizen,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    page: PageQuery,
    certification_id: Annotated[
        uuid.UUID | None,
        Query(description="Solo le tipologie previste per il settore di questa certificazione"),
    ] = None,
) -> Page[schemas.SubscriptionType]:
    return await catalogue.offered(session, rt, user.user_id, page, certification_id=certification_id)
