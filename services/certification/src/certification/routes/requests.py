"""Citizens' certification requests: "Nuova Certificazione" (multipart upload), their list,
one request, one of its documents."""

import uuid

from fastapi import APIRouter, Request, Response

from certification import schemas
from certification.domain.documents import REQUEST_DOCUMENTS
from certification.routes.deps import RuntimeDep
from certification.service import requests
from certification.settings import Settings
from kit.deps import Citizen, CurrentUser, PageQuery, UnitOfWorkDep
from kit.documents import UploadRule, document_response, multipart_openapi, read_multipart
from kit.pagination import Page
from kit.problems import problem_responses

router = APIRouter(prefix="/requests", tags=["certificazioni"])

TEXT_FIELDS = ("sector_code",)
DOWNLOAD = {
    200: {
        "content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}},
        "description": "Il documento, come è stato caricato",
    }
}


def upload_rules(max_bytes: int) -> list[UploadRule]:
    """Both documents required; PDF, JPEG or PNG (the kit's document kinds), checked by content."""
    return [
        UploadRule(field, label, required=True, max_bytes=max_bytes)
        for field, label in REQUEST_DOCUMENTS.items()
    ]


@router.post(
    "",
    status_code=201,
    summary="Invia una richiesta di certificazione (settore, documento d'identità, autocertificazione)",
    openapi_extra=multipart_openapi(
        upload_rules(Settings.model_fields["upload_max_bytes"].default), TEXT_FIELDS
    ),
    responses=problem_responses(409),
)
async def submit_request(
    request: Request, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.CertificationRequestDetail:
    upload = await read_multipart(request, upload_rules(rt.settings.upload_max_bytes), TEXT_FIELDS)
    return await requests.submit(
        session, rt, user.user_id, sector_code=upload.fields.get("sector_code"), documents=upload.documents
    )


@router.get("", summary="Le mie richieste di certificazione, dalla più recente")
async def my_requests(
    user: Citizen, session: UnitOfWorkDep, page: PageQuery
) -> Page[schemas.CertificationRequest]:
    return await requests.own(session, user.user_id, page)


@router.get("/{request_id}", summary="Una mia richiesta di certificazione")
async def my_request(
    request_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.CertificationRequestDetail:
    return await requests.get_own(session, rt, user.user_id, request_id)


@router.get(
    "/{request_id}/documents/{document_id}",
    summary="Scarica un documento della richiesta (al cittadino che l'ha inviata o a un operatore)",
    response_class=Response,
    responses=DOWNLOAD,
)
async def request_document(
    request_id: uuid.UUID, document_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep, rt: RuntimeDep
) -> Response:
    file = await requests.document(session, rt, user, request_id, document_id)
    return document_response(file.info, file.content)
