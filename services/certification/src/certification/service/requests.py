"""Citizens' certification requests (Fase 5–6): submitting one with its two documents, reading
their own, downloading a document. Another citizen's request is "not found", never "forbidden"."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from certification import repository, schemas
from certification.domain import errors
from certification.domain.documents import REQUEST_DOCUMENTS
from certification.domain.sectors import is_code, normalize_code
from certification.models import CertificationRequest
from certification.runtime import Runtime
from certification.service.views import document_view, request_fields, request_view
from contracts.events import CertificationRequestSubmitted
from kit.auth import Principal
from kit.documents import ReceivedDocument, StoredDocument
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from kit.uow import flush_unique


@dataclass(frozen=True)
class DocumentFile:
    """A stored document and its bytes, for a download."""

    info: StoredDocument
    content: bytes


def document_ids(request: CertificationRequest) -> tuple[uuid.UUID, ...]:
    return (request.identity_document_id, request.self_certification_document_id)


async def documents_of(
    session: AsyncSession, rt: Runtime, request: CertificationRequest
) -> list[StoredDocument]:
    infos = [await rt.documents.info(session, document_id) for document_id in document_ids(request)]
    return [info for info in infos if info is not None]


async def detail_view(
    session: AsyncSession, rt: Runtime, request: CertificationRequest
) -> schemas.CertificationRequestDetail:
    documents = await documents_of(session, rt, request)
    return schemas.CertificationRequestDetail(
        **request_fields(request), documents=[document_view(d) for d in documents]
    )


async def submit(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    *,
    sector_code: str | None,
    documents: Mapping[str, ReceivedDocument],
) -> schemas.CertificationRequestDetail:
    """ "Invia Richiesta": the request, its documents and its event, in one transaction.
    One pending request per citizen: a second is refused, also when both arrive at once."""
    code = normalize_code(sector_code or "")
    if not code:
        raise errors.sector_required()
    sector = await repository.sector(session, code) if is_code(code) else None
    if sector is None or not sector.active:
        raise errors.sector_unavailable()
    missing = [field for field in REQUEST_DOCUMENTS if field not in documents]
    if missing:  # the upload's rules require both: a caller that skipped them is a bug
        raise ValueError(f"documents missing: {missing}")
    # Cheap early answer for the common case; the unique index below decides the races.
    if await repository.pending_request_of(session, user_id) is not None:
        raise errors.request_pending()
    stored = {
        field: await rt.documents.save(session, documents[field], owner_id=user_id)
        for field in REQUEST_DOCUMENTS
    }
    request = CertificationRequest(
        user_id=user_id,
        sector_code=sector.code,
        sector_name=sector.name,
        status="pending",
        submitted_at=rt.clock.now(),
        identity_document_id=stored["identity_document"].id,
        self_certification_document_id=stored["self_certification"].id,
    )
    session.add(request)
    await flush_unique(session, {errors.PENDING_INDEX: errors.request_pending})
    await emit(
        session,
        CertificationRequestSubmitted(
            request_id=request.id,
            user_id=user_id,
            sector_code=request.sector_code,
            submitted_at=request.submitted_at,
        ),
    )
    return schemas.CertificationRequestDetail(
        **request_fields(request), documents=[document_view(stored[field]) for field in REQUEST_DOCUMENTS]
    )


async def own(
    session: AsyncSession, user_id: uuid.UUID, page: PageRequest
) -> Page[schemas.CertificationRequest]:
    return await paginate(session, repository.requests_of(user_id), page, request_view)


async def _own_request(
    session: AsyncSession, user_id: uuid.UUID, request_id: uuid.UUID
) -> CertificationRequest:
    request = await repository.request(session, request_id)
    if request is None or request.user_id != user_id:
        raise errors.request_not_found()
    return request


async def get_own(
    session: AsyncSession, rt: Runtime, user_id: uuid.UUID, request_id: uuid.UUID
) -> schemas.CertificationRequestDetail:
    return await detail_view(session, rt, await _own_request(session, user_id, request_id))


async def document_of(
    session: AsyncSession, rt: Runtime, request: CertificationRequest, document_id: uuid.UUID
) -> DocumentFile:
    """One of the request's documents (a document of another request is not found)."""
    if document_id not in document_ids(request):
        raise errors.document_not_found()
    info = await rt.documents.info(session, document_id)
    content = await rt.documents.content(session, document_id) if info is not None else None
    if info is None or content is None:
        raise errors.document_not_found()
    return DocumentFile(info=info, content=content)


async def document(
    session: AsyncSession, rt: Runtime, caller: Principal, request_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentFile:
    """A request's document, for the citizen who sent it or for an operator."""
    if caller.is_staff:
        request = await repository.request(session, request_id)
        if request is None:
            raise errors.request_not_found()
    else:
        request = await _own_request(session, caller.user_id, request_id)
    return await document_of(session, rt, request, document_id)
