"""`/operatore/targhe`: the operators' review of the plate association requests. The queue of
pending requests (oldest first, searchable by plate), a request with the vehicle declared, the
citizen's data and the documents previewed, the decision (approve recording whether the
vehicle is electric, or reject with a reason) and its audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.clients.vehicles import VehiclesClient
from portal.deps import StaffUser, Vehicles
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
from portal.routes.plates import FUELS
from portal.templating import flash, templates

BASE = "/operatore/targhe"
router = APIRouter(prefix=BASE)

ELECTRIC_CHOICES = [("true", "Sì"), ("false", "No")]
ELECTRIC_REQUIRED = "Indica se il veicolo è elettrico, come risulta dal libretto."


@router.get("", response_class=HTMLResponse)
async def queue(
    request: Request, user: StaffUser, vehicles: Vehicles, targa: str = "", pagina: int = 1
) -> Response:
    plate = targa.strip()
    pagination = Pagination.asked(pagina, {"targa": plate})
    listing = await or_404(vehicles.queue(plate=plate, limit=pagination.size, offset=pagination.offset))
    return templates.TemplateResponse(
        request,
        "operator/plate_queue.html",
        {
            "requests": listing,
            "pagination": pagination.of(listing.total),
            "filters": FormState(values={"targa": plate}),
            "fuels": dict(FUELS),
            "base": BASE,
        },
    )


async def _review_page(
    request: Request,
    vehicles: VehiclesClient,
    request_id: uuid.UUID,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    review = await or_404(vehicles.review(request_id))
    return templates.TemplateResponse(
        request,
        "operator/plate_review.html",
        {
            "review": review,
            "form": form or FormState(),
            "labels": DECISION_LABELS,
            "electric_choices": ELECTRIC_CHOICES,
            "fuels": dict(FUELS),
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
    request: Request, user: StaffUser, vehicles: Vehicles, request_id: uuid.UUID
) -> Response:
    return await _review_page(request, vehicles, request_id)


@router.post("/{request_id}/approva", response_class=HTMLResponse)
async def approve(request: Request, user: StaffUser, vehicles: Vehicles, request_id: uuid.UUID) -> Response:
    form = FormState(values=form_values(await request.form(), ["electric"]))
    electric = {"true": True, "false": False}.get(form.value("electric"))
    if electric is None:
        form.add("electric", ELECTRIC_REQUIRED)
        return await _review_page(request, vehicles, request_id, form, 422)
    decided = await submit(
        form, vehicles.approve(request_id, electric=electric), DECISION_LABELS, explain=explain_conflict
    )
    if not decided.ok:
        return await _review_page(request, vehicles, request_id, form, decided.status_code)
    flash(request, "La richiesta di associazione targa è stata approvata.", "success")
    return RedirectResponse(BASE, status_code=303)


@router.post("/{request_id}/rifiuta", response_class=HTMLResponse)
async def reject(request: Request, user: StaffUser, vehicles: Vehicles, request_id: uuid.UUID) -> Response:
    form = FormState(values=form_values(await request.form(), ["reason"]))
    decided = await submit(
        form, vehicles.reject(request_id, form.value("reason")), DECISION_LABELS, explain=explain_conflict
    )
    if not decided.ok:
        return await _review_page(request, vehicles, request_id, form, decided.status_code)
    flash(request, "La richiesta di associazione targa è stata rifiutata.", "success")
    return RedirectResponse(BASE, status_code=303)


@router.get("/{request_id}/documenti/{document_id}")
async def document(
    user: StaffUser, vehicles: Vehicles, request_id: uuid.UUID, document_id: uuid.UUID
) -> Response:
    return (await or_404(vehicles.document(request_id, document_id))).as_response()


@router.get("/{request_id}/documenti/{document_id}/anteprima")
async def document_preview(
    user: StaffUser, vehicles: Vehicles, request_id: uuid.UUID, document_id: uuid.UUID, pagina: int = 1
) -> Response:
    preview = await or_404(vehicles.document_preview(request_id, document_id, max(1, pagina)))
    return preview.as_response(disposition="inline")
