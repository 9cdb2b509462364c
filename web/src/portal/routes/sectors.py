"""`/operatore/settori` (admins only): the sectors catalogue of the certification service, the
zones of residence citizens choose from ("Tipo di Autocertificazione") with the streets each
covers. A sector is never deleted (requests refer to it): it is deactivated."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from portal.api import ApiProblem
from portal.clients.certification import SectorDraft
from portal.deps import AdminUser, Certification
from portal.forms import FormState, form_values, submit
from portal.review import or_404
from portal.templating import flash, templates

BASE = "/operatore/settori"
router = APIRouter(prefix=BASE)

LABELS = {
    "code": "Codice",
    "name": "Nome",
    "description": "Descrizione",
    "streets": "Vie comprese",
    "active": "Settore attivo",
}
_STREET_ERROR = re.compile(r"^streets\.(\d+)$")


def _draft(data: FormData) -> tuple[FormState, SectorDraft]:
    values = form_values(data, ["code", "name", "description", "streets"])
    values["active"] = "1" if data.get("active") else ""
    # One street a line, as typed: blank lines are nothing.
    streets = [line.strip() for line in values["streets"].splitlines() if line.strip()]
    draft = SectorDraft(
        code=values["code"],
        name=values["name"],
        description=values["description"],
        streets=streets,
        active=bool(values["active"]),
    )
    return FormState(values=values), draft


def _street_lines(problem: ApiProblem, form: FormState) -> bool:
    """The service names a street by its position (``streets.3``): the admin reads the line
    of the text box, with every such message under it."""
    messages = []
    for error in problem.errors:
        match = _STREET_ERROR.match(error.field)
        if match:
            messages.append(f"Riga {int(match[1]) + 1}: {error.message}")
    if not messages:
        return False
    form.add("streets", " ".join(messages))
    others = [e for e in problem.errors if not _STREET_ERROR.match(e.field)]
    form.apply_problem(ApiProblem(problem.status, problem.code, problem.detail, others), LABELS)
    return True


def _form_page(
    request: Request, form: FormState, *, code: str | None = None, status_code: int = 200
) -> Response:
    return templates.TemplateResponse(
        request,
        "operator/sector_form.html",
        {"form": form, "labels": LABELS, "code": code, "base": BASE},
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
async def sectors_page(request: Request, user: AdminUser, certification: Certification) -> Response:
    sectors = await certification.all_sectors()
    return templates.TemplateResponse(request, "operator/sectors.html", {"sectors": sectors, "base": BASE})


@router.get("/nuovo", response_class=HTMLResponse)
async def new_sector_page(request: Request, user: AdminUser) -> Response:
    return _form_page(request, FormState(values={"active": "1"}))


@router.post("/nuovo", response_class=HTMLResponse)
async def create_sector(request: Request, user: AdminUser, certification: Certification) -> Response:
    form, draft = _draft(await request.form())
    created = await submit(form, certification.create_sector(draft), LABELS, explain=_street_lines)
    if not created.ok:
        return _form_page(request, form, status_code=created.status_code)
    flash(request, f"Il settore {draft.name} è stato creato.", "success")
    return RedirectResponse(BASE, status_code=303)


@router.get("/{code}", response_class=HTMLResponse)
async def edit_sector_page(
    request: Request, user: AdminUser, certification: Certification, code: str
) -> Response:
    sector = await or_404(certification.sector(code))
    values = {
        "code": sector.code,
        "name": sector.name,
        "description": sector.description,
        "streets": "\n".join(sector.streets),
        "active": "1" if sector.active else "",
    }
    return _form_page(request, FormState(values=values), code=code)


@router.post("/{code}", response_class=HTMLResponse)
async def update_sector(
    request: Request, user: AdminUser, certification: Certification, code: str
) -> Response:
    form, draft = _draft(await request.form())
    form.values["code"] = code
    updated = await submit(form, certification.update_sector(code, draft), LABELS, explain=_street_lines)
    if not updated.ok:
        if updated.problem and updated.problem.status == 404:
            raise HTTPException(404)
        return _form_page(request, form, code=code, status_code=updated.status_code)
    state = "" if draft.active else " ed è stato disattivato: i cittadini non lo vedono più"
    flash(request, f"Il settore {draft.name} è stato aggiornato{state}.", "success")
    return RedirectResponse(BASE, status_code=303)
