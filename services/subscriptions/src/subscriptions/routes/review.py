"""Operators' review of subscription requests (under /admin)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from kit.deps import Operator, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from kit.problems import problem_responses
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import review

router = APIRouter(prefix="/admin/requests", tags=["operatori"])


@router.get("", summary="Richieste di abbonamento, dalla più vecchia")
async def review_queue(
    user: Operator,
    session: UnitOfWorkDep,
    page: PageQuery,
    status: Annotated[schemas.RequestStatus | None, Query(description="Stato della richiesta")] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Il cittadino")] = None,
    plate: Annotated[str | None, Query(max_length=20, description="La targa")] = None,
) -> Page[schemas.AdminRequestSummary]:
    return await review.queue(session, page, status=status, user_id=user_id, plate=plate)


@router.get(
    "/{request_id}", summary="Una richiesta: certificazione e targa del cittadino, pagamenti, decisioni"
)
async def request_detail(
    request_id: uuid.UUID, user: Operator, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.AdminRequestDetail:
    return await review.detail(session, rt, request_id)


@router.post(
    "/{request_id}/approve",
    summary="Approva la richiesta: si apre il pagamento (o, se gratuita, si attiva)",
    responses=problem_responses(409),
)
async def approve_request(
    request_id: uuid.UUID,
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    body: schemas.Approval | None = None,
) -> schemas.AdminRequestDetail:
    return await review.approve(session, rt, user, request_id)


@router.post(
    "/{request_id}/reject",
    summary="Rifiuta la richiesta indicando il motivo",
    responses=problem_responses(409),
)
async def reject_request(
    request_id: uuid.UUID, body: schemas.Rejection, user: Operator, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.AdminRequestDetail:
    return await review.reject(session, rt, user, request_id, body.reason)
