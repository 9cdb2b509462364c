"""Fase 4 of the manual: the citizen's dashboard: the requests of each phase (with "Paga" on
the subscription requests approved), the plates associated (Fase 7) and the subscriptions
(Fase 14) with their actions: receipt, ticket, invoice (asked for within 10 days of the
payment, then its PDF and XML) and renewal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.base import Page, RequestSummary
from portal.clients.billing import Order
from portal.clients.subscriptions import RenewalState, Subscription
from portal.deps import Billing, Certification, CurrentUser, Subscriptions, Vehicles
from portal.templating import ROME, templates

router = APIRouter()

# Sections in the manual's order ("in ordine cronologico"): id, heading, button, its page.
SECTIONS = [
    ("certificazioni", "Richieste Certificazioni", "Nuova Certificazione", "/certificazioni/nuova"),
    ("targhe", "Richieste Associazione Targa", "Nuova Targa", "/targhe/nuova"),
    ("abbonamenti", "Richieste Abbonamento", "Nuova Richiesta", "/abbonamenti/nuova"),
]
QUICK_LINKS = [
    ("Certificazione", "#certificazioni"),
    ("Targhe", "#targhe"),
    ("Abbonamenti", "#abbonamenti"),
]
ELECTRIC_CARS = ("Auto Elettriche", "/abbonamenti/auto-elettriche")


@dataclass(frozen=True)
class Section:
    id: str
    heading: str
    button: str
    href: str
    # None: its service did not answer; the other sections show all the same.
    requests: Page[RequestSummary] | None


async def _requests(listing: Awaitable[Page]) -> Page | None:
    try:
        return await listing
    except (ApiProblem, ServiceUnavailable):
        return None


@dataclass(frozen=True)
class Associated:
    """A row of "Abbonamenti Associati": the subscription, billing's order of its request (its
    invoice; None: a free one, or billing did not answer) and its renewal (see
    `Subscription.renewal_state`)."""

    subscription: Subscription
    order: Order | None
    renewal: RenewalState | None


def associated_rows(
    subscriptions: Page[Subscription], orders: Page[Order] | None, today: date
) -> list[Associated]:
    by_request = {order.request_id: order for order in orders.items} if orders else {}
    # A subscription already followed by its renewal has nothing left to renew.
    starts = {(s.plate, s.valid_from) for s in subscriptions.items}
    rows = []
    for s in subscriptions.items:
        renewal: RenewalState | None = s.renewal_state(today)
        if renewal == "refused" and (s.plate, s.valid_until + timedelta(days=1)) in starts:
            renewal = None
        rows.append(Associated(s, by_request.get(s.request_id), renewal))
    return rows


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    user: CurrentUser,
    certification: Certification,
    vehicles: Vehicles,
    subscriptions: Subscriptions,
    billing: Billing,
) -> Response:
    if user.is_staff:
        return RedirectResponse("/operatore", status_code=303)
    # The services are asked at once: the page waits for the slowest, not for the sum.
    *pages, plates, associated, orders = await asyncio.gather(
        _requests(certification.list_requests()),
        _requests(vehicles.list_requests()),
        _requests(subscriptions.list_requests()),
        _requests(vehicles.plates()),
        _requests(subscriptions.subscriptions()),
        _requests(billing.orders()),
    )
    sections = [Section(*section, requests=page) for section, page in zip(SECTIONS, pages, strict=True)]
    rows = associated_rows(associated, orders, datetime.now(ROME).date()) if associated else []
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "sections": sections,
            # None: the vehicles service did not answer; the list says so, the rest shows.
            "plates": plates,
            # "Abbonamenti Associati"; None: the subscriptions service did not answer.
            "subscriptions": associated,
            "associated": rows,
            # Billing did not answer while something was paid: the invoices cannot be shown.
            "invoices_unknown": orders is None and any(r.subscription.has_receipt for r in rows),
            "quick_links": QUICK_LINKS,
            "electric_cars": ELECTRIC_CARS,
        },
    )
