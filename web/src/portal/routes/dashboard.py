"""Fase 4 of the manual: the citizen's dashboard: the requests of each phase (with "Paga" on
the subscription requests approved), the plates associated (Fase 7) and the subscriptions
(Fase 14)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.base import Page, RequestSummary
from portal.deps import Certification, CurrentUser, Subscriptions, Vehicles
from portal.templating import templates

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


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    user: CurrentUser,
    certification: Certification,
    vehicles: Vehicles,
    subscriptions: Subscriptions,
) -> Response:
    if user.is_staff:
        return RedirectResponse("/operatore", status_code=303)
    # The services are asked at once: the page waits for the slowest, not for the sum.
    *pages, plates, associated = await asyncio.gather(
        _requests(certification.list_requests()),
        _requests(vehicles.list_requests()),
        _requests(subscriptions.list_requests()),
        _requests(vehicles.plates()),
        _requests(subscriptions.subscriptions()),
    )
    sections = [Section(*section, requests=page) for section, page in zip(SECTIONS, pages, strict=True)]
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "sections": sections,
            # None: the vehicles service did not answer; the list says so, the rest shows.
            "plates": plates,
            # "Abbonamenti Associati"; None: the subscriptions service did not answer.
            "subscriptions": associated,
            "quick_links": QUICK_LINKS,
            "electric_cars": ELECTRIC_CARS,
        },
    )
