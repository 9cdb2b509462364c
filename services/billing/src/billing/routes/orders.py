"""A citizen's payment orders and their checkout."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from billing import schemas
from billing.routes.deps import RuntimeDep
from billing.service import checkout, orders
from kit.deps import Citizen, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from kit.problems import problem_responses

router = APIRouter(prefix="/orders", tags=["pagamenti"])


@router.get("", summary="I miei ordini di pagamento")
async def my_orders(
    user: Citizen,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    page: PageQuery,
    request_id: Annotated[uuid.UUID | None, Query(description="Solo l'ordine di questa richiesta")] = None,
) -> Page[schemas.Order]:
    return await orders.list_orders(session, rt, user.user_id, page, request_id)


@router.get("/{request_id}", summary="L'ordine di pagamento di una mia richiesta")
async def my_order(
    request_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.Order:
    return await orders.get_order(session, rt, user.user_id, request_id)


@router.post(
    "/{request_id}/checkout",
    summary="Paga: apre il pagamento presso il gestore",
    responses=problem_responses(409),
)
async def start_checkout(
    request_id: uuid.UUID,
    body: schemas.CheckoutRequest,
    user: Citizen,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
) -> schemas.CheckoutStarted:
    return await checkout.start_checkout(session, rt, user.user_id, request_id, body.return_url)
