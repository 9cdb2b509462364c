"""Receipts as PDF, for the citizen who paid and for operators."""

import uuid

from fastapi import APIRouter, Response

from billing.routes.deps import RuntimeDep
from billing.routes.downloads import document_responses, download
from billing.service import receipts
from kit.deps import CurrentUser, UnitOfWorkDep

router = APIRouter(prefix="/receipts", tags=["ricevute"])


@router.get(
    "/{request_id}",
    summary="La ricevuta di pagamento (PDF)",
    response_class=Response,
    responses=document_responses("application/pdf", "La ricevuta in PDF"),
)
async def receipt(
    request_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep, rt: RuntimeDep
) -> Response:
    document = await receipts.receipt_document(session, rt, user, request_id)
    return download(document.content, "application/pdf", document.filename)
