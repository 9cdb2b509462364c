"""The operators' side: work through the requests, look at the citizen and the documents,
approve (certifying whether the vehicle is electric) or reject with a reason. Each decision is
taken once, under a row lock, and recorded in the audit trail with its event."""

from __future__ import annotations

import asyncio
import uuid

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.events import PlateRequestApproved, PlateRequestRejected
from kit.audit import record_decision, trail_of
from kit.auth import Principal
from kit.documents import StoredDocument, render_preview
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from kit.review import rejection_reason
from kit.uow import unique_refusals
from vehicles import repository, schemas
from vehicles.domain import errors
from vehicles.domain.plates import search_term
from vehicles.domain.requests import (
    RequestStatus,
    electric_on_approval,
    ensure_pending,
)
from vehicles.models import Plate, PlateRequest, audit
from vehicles.runtime import Runtime
from vehicles.service import views
from vehicles.service.requests import attached_document

log = structlog.get_logger(__name__)

SUBJECT = "plate_request"


async def list_requests(
    session: AsyncSession, status: str | None, plate: str | None, page: PageRequest
) -> Page[schemas.ReviewSummary]:
    """Oldest first; ``plate`` (as typed) matches any plate containing it."""
    term = search_term(plate or "")
    statement = repository.requests_for_review(status, term or None)
    return await paginate(session, statement, page, views.review_summary)


async def _request(session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False) -> PlateRequest:
    request = await repository.request_by_id(session, request_id, for_update=for_update)
    if request is None:
        raise errors.request_not_found()
    return request


async def _detail(session: AsyncSession, request: PlateRequest) -> schemas.ReviewDetail:
    return views.review_detail(
        request,
        await repository.documents_of(session, request.id),
        await repository.citizen(session, request.user_id),
        await trail_of(session, audit, request.id),
    )


async def detail(session: AsyncSession, request_id: uuid.UUID) -> schemas.ReviewDetail:
    return await _detail(session, await _request(session, request_id))


async def approve(
    session: AsyncSession, rt: Runtime, operator: Principal, request_id: uuid.UUID, electric: bool | None
) -> schemas.ReviewDetail:
    # Locked: of two operators deciding at once, the second sees the first one's decision.
    request = await _request(session, request_id, for_update=True)
    ensure_pending(request.status)
    if await repository.active_plate(session, request.plate) is not None:
        raise errors.plate_taken_meanwhile()
    now = rt.clock.now()
    plate = Plate(
        user_id=request.user_id,
        plate=request.plate,
        make=request.make,
        model=request.model,
        electric=electric_on_approval(request.fuel, electric),
        request_id=request.id,
        associated_at=now,
    )
    request.status = RequestStatus.APPROVED.value
    request.decided_at = now
    request.decided_by = operator.user_id
    request.electric = plate.electric
    request.plate_id = plate.id
    # A plate associated meanwhile by another approval: the index refuses the second one.
    async with unique_refusals(session, repository.APPROVE_REFUSALS):
        session.add(request)
        session.add(plate)
    await record_decision(
        session,
        audit,
        subject_type=SUBJECT,
        subject_id=request.id,
        action="approved",
        actor=operator,
        at=now,
        details={"electric": plate.electric, "plate_id": str(plate.id)},
    )
    await emit(
        session,
        PlateRequestApproved(
            request_id=request.id,
            plate_id=plate.id,
            user_id=request.user_id,
            plate=plate.plate,
            make=plate.make,
            model=plate.model,
            electric=plate.electric,
            decided_at=now,
        ),
    )
    log.info("plate_request.approved", request_id=str(request.id), operator_id=str(operator.user_id))
    return await _detail(session, request)


async def reject(
    session: AsyncSession, rt: Runtime, operator: Principal, request_id: uuid.UUID, reason: str | None
) -> schemas.ReviewDetail:
    cleaned = rejection_reason(reason)
    request = await _request(session, request_id, for_update=True)
    ensure_pending(request.status)
    now = rt.clock.now()
    request.status = RequestStatus.REJECTED.value
    request.decided_at = now
    request.decided_by = operator.user_id
    request.outcome_reason = cleaned
    session.add(request)
    await record_decision(
        session,
        audit,
        subject_type=SUBJECT,
        subject_id=request.id,
        action="rejected",
        actor=operator,
        at=now,
        reason=cleaned,
    )
    await emit(
        session,
        PlateRequestRejected(
            request_id=request.id,
            user_id=request.user_id,
            plate=request.plate,
            reason=cleaned,
            decided_at=now,
        ),
    )
    log.info("plate_request.rejected", request_id=str(request.id), operator_id=str(operator.user_id))
    return await _detail(session, request)


async def document(
    session: AsyncSession, rt: Runtime, operator: Principal, request_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[StoredDocument, bytes]:
    request = await _request(session, request_id)
    return await attached_document(session, rt, request, document_id, operator)


async def preview(
    session: AsyncSession,
    rt: Runtime,
    operator: Principal,
    request_id: uuid.UUID,
    document_id: uuid.UUID,
    page: int,
) -> bytes:
    """One page of a document (an image has one) drawn afresh as a PNG, for the operator's
    viewer; a page the document lacks is ``NotFound``."""
    info, content = await document(session, rt, operator, request_id, document_id)
    return await asyncio.to_thread(render_preview, content, info.content_type, page=page)
