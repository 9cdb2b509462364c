"""Operators' review of certification requests (under /admin)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from certification import schemas
from certification.routes.deps import RuntimeDep
from certification.routes.requests import DOWNLOAD
from certification.service import review
from kit.deps import Operator, PageQuery, UnitOfWorkDep
from kit.documents import document_response, preview_response
from kit.pagination import Page
from kit.problems import problem_responses

router = APIRouter(prefix="/admin/requests", tags=["operatori"])


@router.get("", summary="Richieste di certificazione, dalla più vecchia")
async def review_queue(
    user: Operator,
    session: UnitOfWorkDep,
    page: PageQuery,
    status: Annotated[schemas.Status | None, Query(description="Stato della richiesta")] = None,
    sector_code: Annotated[str | None, Query(max_length=50, description="Codice del settore")] = None,
    user_id: Annotated[uuid.UUID | None, Query(description="Il cittadino")] = None,
) -> Page[schemas.AdminRequestSummary]:
    return await review.queue(session, page, status=status, sector_code=sector_code, user_id=user_id)


@router.get("/{request_id}", summary="Una richiesta: cittadino, documenti, decisioni")
async def request_detail(
    request_id: uuid.UUID, user: Operator, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.AdminRequestDetail:
    return await review.detail(session, rt, request_id)


@router.get(
    "/{request_id}/documents/{document_id}",
    summary="Scarica un documento della richiesta",
    response_class=Response,
    responses=DOWNLOAD,
)
async def request_document(
    request_id: uuid.UUID,
    document_id: uuid.UUID,
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    inline: bool = False,
) -> Response:
    file = await review.document(session, rt, request_id, document_id)
    return document_response(file.info, file.content, inline=inline)


@router.get(
    "/{request_id}/documents/{document_id}/preview",
    summary="Anteprima di una pagina del documento (PNG)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "La pagina come immagine"}},
)
async def request_document_preview(
    request_id: uuid.UUID,
    document_id: uuid.UUID,
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    page: Annotated[int, Query(ge=1, le=1000, description="Pagina, dalla prima")] = 1,
) -> Response:
    return preview_response(await review.preview(session, rt, request_id, document_id, page))


@router.post(
    "/{request_id}/approve",
    summary="Approva la richiesta: la certificazione è valida da oggi",
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
    request_id: uuid.UUID,
    body: schemas.Rejection,
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
) -> schemas.AdminRequestDetail:
    return await review.reject(session, rt, user, request_id, body.reason)
