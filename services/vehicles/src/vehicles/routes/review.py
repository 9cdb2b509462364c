"""Plate association requests, for operators: review, documents, decisions."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from kit.deps import Operator, PageQuery, UnitOfWorkDep
from kit.documents import document_response, preview_response
from kit.pagination import Page
from kit.problems import problem_responses
from vehicles import schemas
from vehicles.routes.deps import RuntimeDep
from vehicles.service import review

router = APIRouter(prefix="/admin/requests", tags=["operatori"])


@router.get("", summary="Richieste di associazione targa da esaminare (le meno recenti prima)")
async def requests_to_review(
    user: Operator,
    session: UnitOfWorkDep,
    page: PageQuery,
    status: Annotated[schemas.Status | None, Query(description="Solo le richieste in questo stato")] = None,
    plate: Annotated[str | None, Query(max_length=20, description="Targa, o parte di essa")] = None,
) -> Page[schemas.ReviewSummary]:
    return await review.list_requests(session, status, plate, page)


@router.get("/{request_id}", summary="Una richiesta con il cittadino, i documenti e le decisioni")
async def request_to_review(
    request_id: uuid.UUID, user: Operator, session: UnitOfWorkDep
) -> schemas.ReviewDetail:
    return await review.detail(session, request_id)


@router.post(
    "/{request_id}/approve",
    summary="Approva: la targa è associata al cittadino",
    responses=problem_responses(409),
)
async def approve_request(
    request_id: uuid.UUID,
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    body: schemas.Approval | None = None,
) -> schemas.ReviewDetail:
    return await review.approve(session, rt, user, request_id, body.electric if body else None)


@router.post(
    "/{request_id}/reject",
    summary="Rifiuta, indicando il motivo al cittadino",
    responses=problem_responses(409),
)
async def reject_request(
    request_id: uuid.UUID, body: schemas.Rejection, user: Operator, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.ReviewDetail:
    return await review.reject(session, rt, user, request_id, body.reason)


@router.get(
    "/{request_id}/documents/{document_id}",
    summary="Scarica un documento della richiesta",
    response_class=Response,
)
async def review_document(
    request_id: uuid.UUID, document_id: uuid.UUID, user: Operator, session: UnitOfWorkDep, rt: RuntimeDep
) -> Response:
    info, content = await review.document(session, rt, user, request_id, document_id)
    return document_response(info, content)


@router.get(
    "/{request_id}/documents/{document_id}/preview",
    summary="Anteprima PNG di una pagina del documento",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def review_document_preview(
    request_id: uuid.UUID,
    document_id: uuid.UUID,
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    page: Annotated[int, Query(ge=1, le=500, description="Pagina (dalla prima)")] = 1,
) -> Response:
    return preview_response(await review.preview(session, rt, user, request_id, document_id, page))
