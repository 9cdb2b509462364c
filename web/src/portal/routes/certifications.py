"""Fase 6 of the manual: "Nuova Certificazione". The citizen chooses the sector of their
residence (preselected when the streets catalogue knows their address), downloads the
self-certification form already filled in, attaches it with an identity document and sends
the request, which an operator then approves or rejects."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.certification import CertificationClient, Sector, SectorSuggestion
from portal.deps import Certification, CitizenUser
from portal.forms import FILES_AGAIN, FormState, form_values, submit, uploaded
from portal.templating import flash, templates

router = APIRouter(prefix="/certificazioni")

LABELS = {
    "sector_code": "Tipo di Autocertificazione",
    "identity_document": "Documento d'identità",
    "self_certification": "Autocertificazione di residenza",
}
FORM_PATH = "/certificazioni/modulo"
SENT = "La richiesta di certificazione è stata inviata: riceverai l'esito via email."


async def _suggestion(certification: CertificationClient) -> SectorSuggestion:
    # Only a help: without it the citizen chooses with no preselection.
    try:
        return await certification.suggested_sector()
    except (ApiProblem, ServiceUnavailable):
        return SectorSuggestion()


def form_href(sector_code: str) -> str:
    return f"{FORM_PATH}?{urlencode({'settore': sector_code})}" if sector_code else FORM_PATH


async def _form_page(
    request: Request,
    certification: CertificationClient,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    suggestion = SectorSuggestion()
    if form is None:
        sectors, suggestion = await asyncio.gather(certification.sectors(), _suggestion(certification))
        offered = [sector for sector in sectors.items if sector.active]
        suggested = suggestion.sector
        chosen = suggested.code if suggested and any(s.code == suggested.code for s in offered) else ""
        form = FormState(values={"sector_code": chosen})
    else:
        # Shown again after a refusal: if the catalogue does not answer now, the choice made
        # stays (by its code) with everything else.
        try:
            offered = [sector for sector in (await certification.sectors()).items if sector.active]
        except (ApiProblem, ServiceUnavailable):
            offered = []
        chosen = form.value("sector_code")
        if chosen and not any(sector.code == chosen for sector in offered):
            offered.append(Sector(code=chosen, name=chosen))
    return templates.TemplateResponse(
        request,
        "certifications/new.html",
        {
            "form": form,
            "labels": LABELS,
            "sectors": offered,
            "sector_options": [(sector.code, sector.name) for sector in offered],
            "suggestion": suggestion,
            "form_path": FORM_PATH,
            "form_href": form_href(form.value("sector_code")),
        },
        status_code=status_code,
    )


@router.get("/nuova", response_class=HTMLResponse)
async def new_request_page(request: Request, user: CitizenUser, certification: Certification) -> Response:
    return await _form_page(request, certification)


@router.post("/nuova", response_class=HTMLResponse)
async def new_request(request: Request, user: CitizenUser, certification: Certification) -> Response:
    data = await request.form()
    form = FormState(values=form_values(data, ["sector_code"]))
    sent = await submit(
        form,
        certification.submit_request(
            form.value("sector_code"),
            identity_document=uploaded(data, "identity_document"),
            self_certification=uploaded(data, "self_certification"),
        ),
        LABELS,
    )
    if not sent.ok:
        form.general.append(FILES_AGAIN)
        return await _form_page(request, certification, form, sent.status_code)
    flash(request, SENT, "success", section="certificazioni")
    return RedirectResponse("/dashboard#certificazioni", status_code=303)


@router.get("/modulo")
async def self_certification_form(
    request: Request, user: CitizenUser, certification: Certification, settore: str = ""
) -> Response:
    """The PDF, streamed from the service with its name: "Scarica il modulo qui"."""
    try:
        download = await certification.self_certification_form(settore.strip())
    except ApiProblem as problem:
        flash(request, f"Non è stato possibile scaricare il modulo: {problem.detail}", "warning")
        return RedirectResponse("/certificazioni/nuova", status_code=303)
    return download.as_response()
