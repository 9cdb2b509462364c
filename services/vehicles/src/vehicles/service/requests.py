"""The citizen's plate association requests (Fasi 7-8): submit one with its documents, follow
its outcome, download what was attached."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import PlateRequestSubmitted
from kit.auth import Principal
from kit.documents import ReceivedDocument, StoredDocument, fetch_document, page_count
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from kit.uow import unique_refusals
from vehicles import repository, schemas
from vehicles.domain import errors
from vehicles.domain.vehicles import DocumentField, PlateRequestForm, declare_vehicle
from vehicles.models import PlateRequest, PlateRequestDocument
from vehicles.runtime import Runtime
from vehicles.service import views

log = structlog.get_logger(__name__)


async def submit(
    session: AsyncSession,
    rt: Runtime,
    user_id: uuid.UUID,
    form: PlateRequestForm,
    files: Mapping[str, ReceivedDocument],
) -> schemas.RequestDetail:
    """The form's "Invia Richiesta": the request and its documents in one transaction, or a
    refusal that leaves nothing behind."""
    declaration = declare_vehicle(form, documents=set(files))
    plate = declaration.plate
    associated = await repository.active_plate(session, plate)
    if associated is not None:
        if associated.user_id == user_id:
            raise errors.plate_already_associated()
        raise errors.plate_associated_elsewhere()
    pending = await repository.pending_request_for(session, plate)
    if pending is not None:
        if pending.user_id == user_id:
            raise errors.request_already_pending()
        raise errors.plate_request_pending()

    request = PlateRequest(
        user_id=user_id,
        plate=plate,
        foreign=declaration.foreign,
        make=declaration.make,
        model=declaration.model,
        fuel=declaration.fuel.value,
        owned=declaration.owned,
        submitted_at=rt.clock.now(),
    )
    # Two citizens sending the same plate at once: the index lets one through.
    async with unique_refusals(session, repository.SUBMIT_REFUSALS):
        session.add(request)
    for field in DocumentField:
        if (received := files.get(field.value)) is None:
            continue
        # The file is the citizen's: with operators, the only one who may read it.
        stored = await rt.documents.save(session, received, owner_id=user_id)
        pages = await asyncio.to_thread(page_count, received.content, received.content_type)
        session.add(
            PlateRequestDocument(document_id=stored.id, request_id=request.id, field=field.value, pages=pages)
        )
    await session.flush()
    await emit(
        session,
        PlateRequestSubmitted(
            request_id=request.id,
            user_id=user_id,
            plate=plate,
            make=request.make,
            model=request.model,
            submitted_at=request.submitted_at,
        ),
    )
    log.info("plate_request.submitted", request_id=str(request.id), user_id=str(user_id))
    return views.detail(request, await repository.documents_of(session, request.id))


async def list_own(
    session: AsyncSession, user_id: uuid.UUID, page: PageRequest
) -> Page[schemas.RequestSummary]:
    return await paginate(session, repository.requests_of(user_id), page, views.summary)


async def _own(session: AsyncSession, user_id: uuid.UUID, request_id: uuid.UUID) -> PlateRequest:
    """The citizen's request; another citizen's is as unknown as a missing one."""
    request = await repository.request_by_id(session, request_id)
    if request is None or request.user_id != user_id:
        raise errors.request_not_found()
    return request


async def get_own(session: AsyncSession, user_id: uuid.UUID, request_id: uuid.UUID) -> schemas.RequestDetail:
    request = await _own(session, user_id, request_id)
    return views.detail(request, await repository.documents_of(session, request.id))


async def document(
    session: AsyncSession, rt: Runtime, reader: Principal, request_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[StoredDocument, bytes]:
    """A document of a request, for the citizen who sent it or for an operator; anyone else
    learns nothing, not even that it exists."""
    request = await repository.request_by_id(session, request_id)
    if request is None or not (reader.is_staff or request.user_id == reader.user_id):
        raise errors.request_not_found()
    return await attached_document(session, rt, request, document_id, reader)


async def attached_document(
    session: AsyncSession, rt: Runtime, request: PlateRequest, document_id: uuid.UUID, reader: Principal
) -> tuple[StoredDocument, bytes]:
    if not await repository.is_document_of(session, request.id, document_id):
        raise errors.document_not_found()
    return await fetch_document(rt.documents, session, document_id, reader)
