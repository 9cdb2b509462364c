"""`/operatore/certificazioni`: the operators' review of the certification requests. The queue
of pending requests (oldest first, by sector), a request with the citizen's data and the
documents previewed, the decision (approve, or reject with a reason) and its audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.certification import CertificationClient, Sector
from portal.deps import Certification, StaffUser
from portal.forms import FormState, form_values, submit
from portal.review import (
    ACTOR_ROLES,
    AUDIT_ACTIONS,
    DECISION_LABELS,
    DOCUMENT_LABELS,
    Pagination,
    explain_conflict,
    or_404,
    preview_pages,
)
from portal.templating import flash, templates

BASE = "/operatore/certificazioni"
router = APIRouter(prefix=BASE)


async def _sectors(certification: CertificationClient) -> list[Sector]:
    # Only the filter's choices: the queue shows all the same without them.
    try:
        return (await certification.sectors()).items
    except (ApiProblem, ServiceUnavailable):
        return []


@router.get("", response_class=HTMLResponse)
async def queue(
    request: Request, user: StaffUser, certification: Certification, settore: str = "", pagina: int = 1
) -> Response:
    sector_code = settore.strip()
    pagination = Pagination.asked(pagina, {"settore": sector_code})
    # A page number past what the service pages through is a page that does not exist.
    listing = await or_404(
        certification.queue(sector_code=sector_code, limit=pagination.size, offset=pagination.offset)
    )
    sectors = await _sectors(certification)
    options = [(sector.code, sector.name) for sector in sectors]
    if sector_code and sector_code not in {code for code, _ in options}:
        options.append((sector_code, sector_code))
    return templates.TemplateResponse(
        request,
        "operator/certification_queue.html",
        {
            "requests": listing,
            "pagination": pagination.of(listing.total),
            "filters": FormState(values={"settore": sector_code}),
            "sector_options": options,
            "base": BASE,
        },
    )


async def _review_page(
    request: Request,
    certification: CertificationClient,
    request_id: uuid.UUID,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    review = await or_404(certification.review(request_id))
    return templates.TemplateResponse(
        request,
        "operator/certification_review.html",
        {
            "review": review,
            "form": form or FormState(),
            "labels": DECISION_LABELS,
            "base": BASE,
            "document_labels": DOCUMENT_LABELS,
            "audit_actions": AUDIT_ACTIONS,
            "actor_roles": ACTOR_ROLES,
            "preview_pages": preview_pages,
        },
        status_code=status_code,
    )


@router.get("/{request_id}", response_class=HTMLResponse)
async def review_page(
    request: Request, user: StaffUser, certification: Certification, request_id: uuid.UUID
) -> Response:
    return await _review_page(request, certification, request_id)


@router.post("/{request_id}/approva", response_class=HTMLResponse)
async def approve(
    request: Request, user: StaffUser, certification: Certification, request_id: uuid.UUID
) -> Response:
    form = FormState()
    decided = await submit(form, certification.approve(request_id), DECISION_LABELS, explain=explain_conflict)
    if not decided.ok:
        return await _review_page(request, certification, request_id, form, decided.status_code)
    flash(request, "La richiesta di certificazione è stata approvata.", "success")
    return RedirectResponse(BASE, status_code=303)


@router.post("/{request_id}/rifiuta", response_class=HTMLResponse)
async def reject(
    request: Request, user: StaffUser, certification: Certification, request_id: uuid.UUID
) -> Response:
    form = FormState(values=form_values(await request.form(), ["reason"]))
    decided = await submit(
        form,
        certification.reject(request_id, form.value("reason")),
        DECISION_LABELS,
        explain=explain_conflict,
    )
    if not decided.ok:
        return await _review_page(request, certification, request_id, form, decided.status_code)
    flash(request, "La richiesta di certificazione è stata rifiutata.", "success")
    return RedirectResponse(BASE, status_code=303)


@router.get("/{request_id}/documenti/{document_id}")
async def document(
    user: StaffUser, certification: Certification, request_id: uuid.UUID, document_id: uuid.UUID
) -> Response:
    return (await or_404(certification.document(request_id, document_id))).as_response()


@router.get("/{request_id}/documenti/{document_id}/anteprima")
async def document_preview(
    user: StaffUser,
    certification: Certification,
    request_id: uuid.UUID,
    document_id: uuid.UUID,
    pagina: int = 1,
) -> Response:
    preview = await or_404(certification.document_preview(request_id, document_id, max(1, pagina)))
    return preview.as_response(disposition="inline")
