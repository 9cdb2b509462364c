"""Fase 4 of the manual: the citizen's dashboard, and the pages its buttons lead to until the
next phases fill them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.deps import CurrentUser
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

# Pages of the next phases: a clear notice instead of a form that would do nothing.
UPCOMING = {
    "/certificazioni/nuova": "Nuova certificazione di residenza",
    "/targhe/nuova": "Nuova associazione targa",
    "/abbonamenti/nuova": "Nuova richiesta di abbonamento",
    "/abbonamenti/auto-elettriche": "Abbonamento per auto elettriche",
}


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request, user: CurrentUser) -> Response:
    if user.is_staff:
        return RedirectResponse("/operatore", status_code=303)
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "sections": SECTIONS,
            "quick_links": QUICK_LINKS,
            "electric_cars": ELECTRIC_CARS,
        },
    )


def _upcoming_page(title: str):
    async def page(request: Request, user: CurrentUser) -> Response:
        return templates.TemplateResponse(request, "pages/upcoming.html", {"title": title})

    return page


for _path, _title in UPCOMING.items():
    router.add_api_route(_path, _upcoming_page(_title), methods=["GET"], response_class=HTMLResponse)
