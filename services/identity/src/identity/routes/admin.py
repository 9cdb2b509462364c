"""Accounts, for operators and admins."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from identity import schemas
from identity.service import accounts
from kit.deps import Operator, PageQuery, UnitOfWorkDep
from kit.pagination import Page

router = APIRouter(prefix="/admin/users", tags=["operatori"])


@router.get("", summary="Cerca account per nome, email o codice fiscale")
async def search_users(
    user: Operator,
    session: UnitOfWorkDep,
    q: Annotated[str, Query(min_length=2, max_length=100)],
    page: PageQuery,
) -> Page[schemas.AccountSummary]:
    return await accounts.search(session, q, page)


@router.get("/{user_id}", summary="Dati di un account")
async def get_user(user_id: uuid.UUID, user: Operator, session: UnitOfWorkDep) -> schemas.Profile:
    return await accounts.get(session, user_id)
