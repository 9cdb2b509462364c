"""`/operatore/abbonamenti`: the operators' review of the subscription requests. The queue of
pending requests (oldest first, searchable by plate), a request with the citizen's
certification and plate beside it, the decision (approve, which opens the payment, or reject
with a reason) and its audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.clients.subscriptions import SubscriptionsClient
from portal.deps import StaffUser, Subscriptions
from portal.forms import FormState, form_values, submit
from portal.review import ACTOR_ROLES, AUDIT_ACTIONS, DECISION_LABELS, Pagination, explain_conflict, or_404
from portal.templating import flash, templates

BASE = "/operatore/abbonamenti"
router = APIRouter(prefix=BASE)


@router.get("", response_class=HTMLResponse)
async def queue(
    request: Request, user: StaffUser, subscriptions: Subscriptions, targa: str = "", pagina: int = 1
) -> Response:
    plate = targa.strip()
    pagination = Pagination.asked(pagina, {"targa": plate})
    # A page number past what the service pages through is a page that does not exist.
    listing = await or_404(subscriptions.queue(plate=plate, limit=pagination.size, offset=pagination.offset))
    return templates.TemplateResponse(
        request,
        "operator/subscription_queue.html",
        {
            "requests": listing,
            "pagination": pagination.of(listing.total),
            "filters": FormState(values={"targa": plate}),
            "base": BASE,
        },
    )


async def _review_page(
    request: Request,
    subscriptions: SubscriptionsClient,
    request_id: uuid.UUID,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    review = await or_404(subscriptions.review(request_id))
    return templates.TemplateResponse(
        request,
        "operator/subscription_review.html",
        {
            "review": review,
            "form": form or FormState(),
            "labels": DECISION_LABELS,
            "base": BASE,
            "audit_actions": AUDIT_ACTIONS,
            "actor_roles": ACTOR_ROLES,
        },
        status_code=status_code,
    )


@router.get("/{request_id}", response_class=HTMLResponse)
async def review_page(
    request: Request, user: StaffUser, subscriptions: Subscriptions, request_id: uuid.UUID
) -> Response:
    return await _review_page(request, subscriptions, request_id)


@router.post("/{request_id}/approva", response_class=HTMLResponse)
async def approve(
    request: Request, user: StaffUser, subscriptions: Subscriptions, request_id: uuid.UUID
) -> Response:
    form = FormState()
    decided = await submit(form, subscriptions.approve(request_id), DECISION_LABELS, explain=explain_conflict)
    if not decided.ok:
        return await _review_page(request, subscriptions, request_id, form, decided.status_code)
    flash(request, "La richiesta di abbonamento è stata approvata.", "success")
    return RedirectResponse(BASE, status_code=303)


@router.post("/{request_id}/rifiuta", response_class=HTMLResponse)
async def reject(
    request: Request, user: StaffUser, subscriptions: Subscriptions, request_id: uuid.UUID
) -> Response:
    form = FormState(values=form_values(await request.form(), ["reason"]))
    decided = await submit(
        form,
        subscriptions.reject(request_id, form.value("reason")),
        DECISION_LABELS,
        explain=explain_conflict,
    )
    if not decided.ok:
        return await _review_page(request, subscriptions, request_id, form, decided.status_code)
    flash(request, "La richiesta di abbonamento è stata rifiutata.", "success")
    return RedirectResponse(BASE, status_code=303)
