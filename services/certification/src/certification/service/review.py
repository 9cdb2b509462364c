"""Operators' review of certification requests: the queue, a request with everything needed to
decide it, its documents, and the decision (approve, or reject with a reason). Two operators
deciding the same request at once: exactly one decision counts, the other is told."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from certification import repository, schemas
from certification.domain import errors
from certification.domain.sectors import is_code, normalize_code
from certification.domain.statuses import RequestStatus
from certification.domain.streets import SectorStreets, sectors_covering
from certification.domain.validity import local_date
from certification.models import CertificationRequest, audit
from certification.runtime import Runtime
from certification.service.requests import DocumentFile, document_of, documents_of
from certification.service.views import citizen_details, citizen_summary, document_view, request_fields
from contracts.events import CertificationRequestApproved, CertificationRequestRejected
from kit.audit import record_decision, trail_of
from kit.auth import Principal
from kit.documents import StoredDocument, page_count, render_preview
from kit.outbox import emit
from kit.pagination import Page, PageRequest, paginate
from kit.review import rejection_reason, request_already_decided

SUBJECT = "certification_request"


def _summary(row: Any) -> schemas.AdminRequestSummary:
    request: CertificationRequest = row[0]
    return schemas.AdminRequestSummary(
        **request_fields(request), user_id=request.user_id, citizen=citizen_summary(row)
    )


async def queue(
    session: AsyncSession,
    page: PageRequest,
    *,
    status: str | None = None,
    sector_code: str | None = None,
    user_id: uuid.UUID | None = None,
) -> Page[schemas.AdminRequestSummary]:
    """Requests oldest first, filtered by status, sector and citizen."""
    code = normalize_code(sector_code) if sector_code else None
    if code is not None and not is_code(code):
        return Page[schemas.AdminRequestSummary](items=[], total=0, limit=page.limit, offset=page.offset)
    statement = repository.review_queue(status=status, sector_code=code, user_id=user_id)
    return await paginate(session, statement, page, _summary)


async def _request(session: AsyncSession, request_id: uuid.UUID) -> CertificationRequest:
    request = await repository.request(session, request_id)
    if request is None:
        raise errors.request_not_found()
    return request


async def _address_in_sector(
    session: AsyncSession, citizen: Any, request: CertificationRequest
) -> bool | None:
    street = citizen.get("address_street") if citizen is not None else None
    sector = await repository.sector(session, request.sector_code)
    if not street or sector is None:
        return None
    return bool(sectors_covering(street, [SectorStreets(sector.code, sector.streets)]))


async def _with_pages(session: AsyncSession, rt: Runtime, info: StoredDocument) -> schemas.DocumentInfo:
    """A document with the number of pages its preview has (None if it cannot be read)."""
    content = await rt.documents.content(session, info.id)
    pages = None
    if content is not None:
        try:
            pages = await asyncio.to_thread(page_count, content, info.content_type)
        except Exception:  # checked at upload; a reader's hiccup must not hide the request
            pages = None
    return document_view(info).model_copy(update={"pages": pages})


async def detail_view(
    session: AsyncSession, rt: Runtime, request: CertificationRequest
) -> schemas.AdminRequestDetail:
    citizen = await repository.citizen(session, request.user_id)
    documents = await documents_of(session, rt, request)
    return schemas.AdminRequestDetail(
        **request_fields(request),
        user_id=request.user_id,
        decided_by=request.decided_by,
        citizen=citizen_details(citizen),
        address_in_sector=await _address_in_sector(session, citizen, request),
        documents=[await _with_pages(session, rt, d) for d in documents],
        audit=await trail_of(session, audit, request.id),
    )


async def detail(session: AsyncSession, rt: Runtime, request_id: uuid.UUID) -> schemas.AdminRequestDetail:
    return await detail_view(session, rt, await _request(session, request_id))


async def _decided(session: AsyncSession, request_id: uuid.UUID, **values: Any) -> CertificationRequest:
    """The request moved from pending to its decision, or why it could not be."""
    decided = await repository.decide(session, request_id, **values)
    if decided is None:
        await _request(session, request_id)  # not found…
        raise request_already_decided()  # …or another operator was first
    return decided


async def approve(
    session: AsyncSession, rt: Runtime, operator: Principal, request_id: uuid.UUID
) -> schemas.AdminRequestDetail:
    """The certification of residence: valid from today until the configured end."""
    now = rt.clock.now()
    valid_from = local_date(now)
    valid_until = rt.settings.validity.valid_until(valid_from)
    request = await _decided(
        session,
        request_id,
        status=RequestStatus.APPROVED.value,
        decided_at=now,
        decided_by=operator.user_id,
        certification_id=uuid.uuid4(),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    assert request.certification_id is not None
    await record_decision(
        session,
        audit,
        subject_type=SUBJECT,
        subject_id=request.id,
        action="approved",
        actor=operator,
        at=now,
        details={
            "sector_code": request.sector_code,
            "certification_id": str(request.certification_id),
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
    )
    await emit(
        session,
        CertificationRequestApproved(
            request_id=request.id,
            certification_id=request.certification_id,
            user_id=request.user_id,
            sector_code=request.sector_code,
            sector_name=request.sector_name,
            valid_from=valid_from,
            valid_until=valid_until,
            decided_at=now,
        ),
    )
    return await detail_view(session, rt, request)


async def reject(
    session: AsyncSession, rt: Runtime, operator: Principal, request_id: uuid.UUID, reason: str | None
) -> schemas.AdminRequestDetail:
    """Rejected with the reason the citizen will read; the citizen may then send a new request."""
    text = rejection_reason(reason)
    now = rt.clock.now()
    request = await _decided(
        session,
        request_id,
        status=RequestStatus.REJECTED.value,
        decided_at=now,
        decided_by=operator.user_id,
        outcome_reason=text,
    )
    await record_decision(
        session,
        audit,
        subject_type=SUBJECT,
        subject_id=request.id,
        action="rejected",
        actor=operator,
        at=now,
        reason=text,
        details={"sector_code": request.sector_code},
    )
    await emit(
        session,
        CertificationRequestRejected(
            request_id=request.id,
            user_id=request.user_id,
            sector_code=request.sector_code,
            reason=text,
            decided_at=now,
        ),
    )
    return await detail_view(session, rt, request)


async def document(
    session: AsyncSession, rt: Runtime, request_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentFile:
    return await document_of(session, rt, await _request(session, request_id), document_id)


async def preview(
    session: AsyncSession, rt: Runtime, request_id: uuid.UUID, document_id: uuid.UUID, page: int
) -> bytes:
    """One page of a document as a PNG, for the operator's viewer."""
    file = await document(session, rt, request_id, document_id)
    return await asyncio.to_thread(render_preview, file.content, file.info.content_type, page=page)
