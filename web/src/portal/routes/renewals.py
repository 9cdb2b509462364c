"""Fase 14 of the manual: "Rinnova" ("basterà cliccare sul tasto Rinnova poiché la form è già
compilata con i dati del precedente abbonamento"). The page shows what the renewal sends, taken
by the service from the subscription (its certification, plate and type), the new period and
the amount; "Rinnova" sends it, as a request the operators review like any other. When it may
not be sent the page says why and what to do first, with its link."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.subscriptions import RenewalOffer, RequestOptions, Subscription, SubscriptionsClient
from portal.deps import CitizenUser, Subscriptions
from portal.forms import FormState, submit
from portal.review import or_404
from portal.routes.subscriptions import certification_text, plate_text
from portal.templating import flash, templates

router = APIRouter(prefix="/abbonamenti")

T = TypeVar("T")

SENT = (
    "Richiesta di rinnovo inviata: un operatore la verificherà e riceverai l'esito via email. "
    "Una volta approvata potrai pagarla da «Richieste Abbonamento»."
)
NEW_CERTIFICATION = ("/certificazioni/nuova", "Nuova Certificazione")
NEW_PLATE = ("/targhe/nuova", "Nuova Targa")
NEW_REQUEST = ("/abbonamenti/nuova", "Nuova Richiesta")
REQUESTS = ("/dashboard#abbonamenti", "Vai a Richieste Abbonamento")
# What to do first, by the service's reason (its message says it in words): the link to it.
WHAT_TO_DO = {
    "certification_expired": NEW_CERTIFICATION,
    "certification_not_available": NEW_CERTIFICATION,
    "plate_dissociated": NEW_PLATE,
    "plate_not_available": NEW_PLATE,
    "subscription_ended": NEW_REQUEST,
    "subscription_revoked": NEW_REQUEST,
    "subscription_type_not_found": NEW_REQUEST,
    "subscription_type_not_renewable": NEW_REQUEST,
    "subscription_type_not_allowed": NEW_REQUEST,
    "electric_type_needs_certification": NEW_REQUEST,
    "plate_not_electric": NEW_REQUEST,
    "renewal_already_requested": REQUESTS,
    "plate_has_open_request": REQUESTS,
}
NO_CERTIFICATION = "Non necessaria: abbonamento per auto elettriche"


@dataclass(frozen=True)
class Prefilled:
    """What the renewal sends, in words: the certification, the plate, the type."""

    certification: str
    plate: str
    subscription_type: str


def prefilled(offer: RenewalOffer, options: RequestOptions | None, current: Subscription | None) -> Prefilled:
    """The offer names its data by id: their words from the citizen's options (what they hold
    today), else from the subscription being renewed."""
    prefill = offer.prefill
    certifications = {c.certification_id: c for c in options.certifications} if options else {}
    plates = {p.plate_id: p for p in options.plates} if options else {}
    types = {t.code: t for t in options.types} if options else {}
    if prefill.certification_id is None:
        certification = NO_CERTIFICATION
    elif prefill.certification_id in certifications:
        certification = certification_text(certifications[prefill.certification_id])
    else:
        sector = (current.sector_name or current.sector_code) if current else None
        certification = f"Certificazione di residenza, settore {sector}" if sector else "—"
    if prefill.plate_id in plates:
        plate = plate_text(plates[prefill.plate_id])
    else:
        plate = current.plate if current else "—"
    if prefill.subscription_type_code in types:
        subscription_type = types[prefill.subscription_type_code].name
    else:
        name = current.subscription_type_name if current else None
        subscription_type = name or prefill.subscription_type_code
    return Prefilled(certification, plate, subscription_type)


async def _quietly(action: Awaitable[T]) -> T | None:
    """What completes the page without being needed: None when it cannot be had."""
    try:
        return await action
    except (ApiProblem, ServiceUnavailable):
        return None


async def _page(
    request: Request,
    subscriptions: SubscriptionsClient,
    subscription_id: uuid.UUID,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    offer, options, own = await asyncio.gather(
        or_404(subscriptions.renewal_offer(subscription_id)),
        _quietly(subscriptions.options()),
        _quietly(subscriptions.subscriptions()),
    )
    current = next((s for s in own.items if s.id == subscription_id), None) if own else None
    reason = offer.reason_if_not
    return templates.TemplateResponse(
        request,
        "subscriptions/renewal.html",
        {
            "subscription_id": subscription_id,
            "offer": offer,
            "current": current,
            "prefilled": prefilled(offer, options, current),
            "what_to_do": WHAT_TO_DO.get(reason.code) if reason else None,
            "form": form or FormState(),
        },
        status_code=status_code,
    )


@router.get("/{subscription_id}/rinnova", response_class=HTMLResponse)
async def renewal_page(
    request: Request, user: CitizenUser, subscriptions: Subscriptions, subscription_id: uuid.UUID
) -> Response:
    return await _page(request, subscriptions, subscription_id)


@router.post("/{subscription_id}/rinnova", response_class=HTMLResponse)
async def renew(
    request: Request, user: CitizenUser, subscriptions: Subscriptions, subscription_id: uuid.UUID
) -> Response:
    form = FormState()
    # No field on the page: whatever the service says goes in the summary.
    sent = await submit(form, subscriptions.renew(subscription_id), [])
    if sent.ok:
        flash(request, SENT, "success", section="abbonamenti")
        return RedirectResponse("/dashboard#abbonamenti", status_code=303)
    if sent.problem is not None and sent.problem.status == 404:
        raise HTTPException(404)
    return await _page(request, subscriptions, subscription_id, form, sent.status_code)
