"""Receipts as PDF, for the citizen who paid and for operators."""

import uuid

from fastapi import APIRouter, Response

from billing.routes.deps import RuntimeDep
from billing.service import receipts
from kit.deps import CurrentUser, UnitOfWorkDep

router = APIRouter(prefix="/receipts", tags=["ricevute"])

# A download that browsers neither sniff nor keep in shared caches.
_DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


@router.get(
    "/{request_id}",
    summary="La ricevuta di pagamento (PDF)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "La ricevuta in PDF"}},
)
async def receipt(
    request_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep, rt: RuntimeDep
) -> Response:
    document = await receipts.receipt_document(session, rt, user, request_id)
    return Response(
        document.content,
        media_type="application/pdf",
        headers={**_DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{document.filename}"'},
    )
