"""`/profilo`: the citizen's personal details (from the identity service), the contacts and
address they may change, and the change of e-mail address (password, then an OTP sent to the
new address)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal import auth
from portal.api import ApiProblem, ServiceUnavailable
from portal.deps import CurrentUser
from portal.forms import FormState, form_values
from portal.templating import flash, templates

router = APIRouter(prefix="/profilo")

CONTACT_LABELS = {
    "phone": "Telefono",
    "address_street": "Via/Piazza",
    "address_number": "Numero civico",
    "postcode": "CAP",
    "municipality": "Comune",
}
EMAIL_LABELS = {"new_email": "Nuova email", "password": "Password"}
OTP_LABELS = {"otp": "Codice OTP"}
ALL_LABELS = {**CONTACT_LABELS, **EMAIL_LABELS, **OTP_LABELS}
PENDING_EMAIL = "email_change"


async def _render(
    request: Request,
    *,
    contacts: FormState | None = None,
    email_form: FormState | None = None,
    otp_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    profile: dict[str, Any] | None
    try:
        profile = (await auth.user_call(request, "GET", "/api/identity/me")).json()
    except ServiceUnavailable:
        # The forms still show what was typed; the details say they could not be loaded.
        profile = None
        status_code = 503
    else:
        auth.update_profile(request, profile)
    if contacts is None:
        contacts = FormState(values={k: str((profile or {}).get(k) or "") for k in CONTACT_LABELS})
    return templates.TemplateResponse(
        request,
        "profile.html",
        {
            "profile": profile,
            "contacts": contacts,
            "email_form": email_form or FormState(),
            "otp_form": otp_form or FormState(),
            "pending_email": request.session.get(PENDING_EMAIL),
            "labels": ALL_LABELS,
        },
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
async def profile_page(request: Request, user: CurrentUser) -> Response:
    return await _render(request)


@router.post("", response_class=HTMLResponse)
async def update_contacts(request: Request, user: CurrentUser) -> Response:
    values = form_values(await request.form(), CONTACT_LABELS)
    values["postcode"] = values["postcode"].replace(" ", "")
    form = FormState(values=values)
    try:
        await auth.user_call(request, "PATCH", "/api/identity/me", json=values)
    except ServiceUnavailable:
        form.unavailable()
        return await _render(request, contacts=form, status_code=503)
    except ApiProblem as problem:
        form.apply_problem(problem, CONTACT_LABELS)
        return await _render(request, contacts=form, status_code=problem.status)
    flash(request, "I tuoi recapiti sono stati aggiornati.", "success")
    return RedirectResponse("/profilo", status_code=303)


@router.post("/email", response_class=HTMLResponse)
async def request_email_change(request: Request, user: CurrentUser) -> Response:
    data = await request.form()
    new_email = str(data.get("new_email", "")).strip()
    form = FormState(values={"new_email": new_email})
    body = {"new_email": new_email, "password": str(data.get("password", ""))}
    try:
        await auth.user_call(request, "POST", "/api/identity/me/email", json=body)
    except ServiceUnavailable:
        form.unavailable()
        return await _render(request, email_form=form, status_code=503)
    except ApiProblem as problem:
        form.apply_problem(problem, EMAIL_LABELS)
        return await _render(request, email_form=form, status_code=problem.status)
    request.session[PENDING_EMAIL] = new_email
    flash(
        request,
        f"Ti abbiamo inviato un codice OTP all'indirizzo {new_email}: inseriscilo per confermare.",
        "info",
    )
    return RedirectResponse("/profilo#cambio-email", status_code=303)


@router.post("/email/conferma", response_class=HTMLResponse)
async def confirm_email_change(request: Request, user: CurrentUser) -> Response:
    otp = str((await request.form()).get("otp", "")).replace(" ", "").strip()
    form = FormState(values={"otp": otp})
    try:
        response = await auth.user_call(request, "POST", "/api/identity/me/email/confirm", json={"otp": otp})
    except ServiceUnavailable:
        form.unavailable()
        return await _render(request, otp_form=form, status_code=503)
    except ApiProblem as problem:
        if not problem.errors and problem.status in (400, 422):
            form.add("otp", problem.detail)
        else:
            form.apply_problem(problem, OTP_LABELS)
        return await _render(request, otp_form=form, status_code=problem.status)
    request.session.pop(PENDING_EMAIL, None)
    try:
        auth.update_profile(request, response.json())
    except ValueError:
        pass
    flash(request, "Il tuo indirizzo email è stato aggiornato.", "success")
    return RedirectResponse("/profilo", status_code=303)


@router.post("/email/annulla")
async def cancel_email_change(request: Request, user: CurrentUser) -> Response:
    request.session.pop(PENDING_EMAIL, None)
    return RedirectResponse("/profilo", status_code=303)
