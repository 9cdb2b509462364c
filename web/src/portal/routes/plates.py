"""Fasi 7–8 of the manual: "Nuova Targa" (the plate typed twice, make, model, fuel, the
registration document and, for a vehicle not in the citizen's name, the availability
attestation) and the removal of a plate from "Targhe Associate", after a confirmation."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.api import ApiProblem
from portal.clients.vehicles import VehicleDeclaration
from portal.deps import CitizenUser, Vehicles
from portal.forms import FILES_AGAIN, FormState, form_values, submit, uploaded
from portal.templating import flash, templates

router = APIRouter(prefix="/targhe")

LABELS = {
    "plate": "Targa",
    "plate_confirmation": "Conferma targa",
    "foreign": "Tipo di targa",
    "make": "Marca",
    "model": "Modello",
    "fuel": "Alimentazione",
    "owned": "Il veicolo è intestato a me",
    "registration_document": "Libretto di circolazione",
    "availability_attestation": "Attestazione di disponibilità",
}
TEXT_FIELDS = list(VehicleDeclaration.model_fields)
PLATE_KINDS = [("false", "Targa italiana"), ("true", "Targa estera")]
OWNERSHIP = [("true", "Sì"), ("false", "No")]
FUELS = [
    ("benzina", "Benzina"),
    ("diesel", "Diesel"),
    ("gpl", "GPL"),
    ("metano", "Metano"),
    ("ibrida", "Ibrida"),
    ("elettrica", "Elettrica"),
]
SENT = "La richiesta di associazione targa è stata inviata: riceverai l'esito via email."
REMOVED = "La targa non è più associata al tuo account."


def _form_page(request: Request, form: FormState, status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "plates/new.html",
        {
            "form": form,
            "labels": LABELS,
            "plate_kinds": PLATE_KINDS,
            "ownership": OWNERSHIP,
            "fuels": FUELS,
        },
        status_code=status_code,
    )


@router.get("/nuova", response_class=HTMLResponse)
async def new_request_page(request: Request, user: CitizenUser) -> Response:
    return _form_page(request, FormState(values={"foreign": "false"}))


@router.post("/nuova", response_class=HTMLResponse)
async def new_request(request: Request, user: CitizenUser, vehicles: Vehicles) -> Response:
    data = await request.form()
    form = FormState(values=form_values(data, TEXT_FIELDS))
    sent = await submit(
        form,
        vehicles.submit_request(
            VehicleDeclaration(**form.values),
            registration_document=uploaded(data, "registration_document"),
            availability_attestation=uploaded(data, "availability_attestation"),
        ),
        LABELS,
    )
    if not sent.ok:
        form.general.append(FILES_AGAIN)
        return _form_page(request, form, sent.status_code)
    flash(request, SENT, "success", section="targhe")
    return RedirectResponse("/dashboard#targhe", status_code=303)


@router.get("/{plate_id}/rimuovi", response_class=HTMLResponse)
async def remove_page(
    request: Request, user: CitizenUser, vehicles: Vehicles, plate_id: uuid.UUID
) -> Response:
    """The confirmation: which plate, and what removing it means."""
    plate = next((p for p in (await vehicles.plates()).items if p.id == plate_id), None)
    if plate is None:
        raise HTTPException(404)
    return templates.TemplateResponse(request, "plates/remove.html", {"plate": plate})


@router.post("/{plate_id}/rimuovi")
async def remove(request: Request, user: CitizenUser, vehicles: Vehicles, plate_id: uuid.UUID) -> Response:
    try:
        await vehicles.remove_plate(plate_id)
    except ApiProblem as problem:
        flash(request, problem.detail, "warning", section="targhe-associate")
    else:
        flash(request, REMOVED, "success", section="targhe-associate")
    return RedirectResponse("/dashboard#targhe-associate", status_code=303)
