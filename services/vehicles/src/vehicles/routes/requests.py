"""The citizen's plate association requests ("Richieste Associazione Targa", "Nuova Targa")."""

import uuid

from fastapi import APIRouter, Request, Response, status

from kit.deps import Citizen, CurrentUser, PageQuery, UnitOfWorkDep
from kit.documents import UploadRule, document_response, multipart_openapi, read_multipart
from kit.pagination import Page
from kit.problems import problem_responses
from vehicles import schemas
from vehicles.domain.vehicles import DocumentField, PlateRequestForm
from vehicles.routes.deps import RuntimeDep
from vehicles.service import requests
from vehicles.settings import Settings

router = APIRouter(prefix="/requests", tags=["richieste associazione targa"])

FORM_FIELDS = ("plate", "plate_confirmation", "foreign", "make", "model", "fuel", "owned")


def upload_rules(max_bytes: int, *, documented: bool = False) -> list[UploadRule]:
    """Both files are optional to the reader: which are required (the registration document
    always, the attestation for a vehicle not in the citizen's name) is the domain's rule,
    reported together with the errors of the text fields. The OpenAPI document shows the
    registration document as required, which it is."""
    return [
        UploadRule(
            field.value,
            field.label,
            required=documented and field is DocumentField.REGISTRATION_DOCUMENT,
            max_bytes=max_bytes,
        )
        for field in DocumentField
    ]


_DOCUMENTED_RULES = upload_rules(Settings.model_fields["upload_max_bytes"].default, documented=True)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Nuova Targa: invia una richiesta di associazione con i documenti",
    openapi_extra=multipart_openapi(_DOCUMENTED_RULES, FORM_FIELDS),
    responses=problem_responses(409),
)
async def submit_request(
    request: Request, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.RequestDetail:
    upload = await read_multipart(request, upload_rules(rt.settings.upload_max_bytes), FORM_FIELDS)
    form = PlateRequestForm(**{name: upload.fields.get(name, "") for name in FORM_FIELDS})
    return await requests.submit(session, rt, user.user_id, form, upload.documents)


@router.get("", summary="Le mie richieste di associazione targa (le più recenti prima)")
async def my_requests(user: Citizen, session: UnitOfWorkDep, page: PageQuery) -> Page[schemas.RequestSummary]:
    return await requests.list_own(session, user.user_id, page)


@router.get("/{request_id}", summary="Una mia richiesta di associazione targa")
async def my_request(request_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep) -> schemas.RequestDetail:
    return await requests.get_own(session, user.user_id, request_id)


@router.get(
    "/{request_id}/documents/{document_id}",
    summary="Scarica un documento della richiesta (al cittadino che l'ha inviata e agli operatori)",
    response_class=Response,
)
async def request_document(
    request_id: uuid.UUID, document_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep, rt: RuntimeDep
) -> Response:
    info, content = await requests.document(session, rt, user, request_id, document_id)
    return document_response(info, content)
