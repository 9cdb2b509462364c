"""`/profilo`: the citizen's personal details (from the identity service), the contacts and
address they may change, the change of e-mail address (password, then an OTP sent to the
new address) and the change of password (the current one, then the new one twice)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal import auth
from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.identity import ContactsUpdate, IdentityClient, Profile
from portal.deps import CurrentUser, Identity
from portal.forms import FormState, form_values, submit
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
# Own field names: the e-mail form on the same page already has a field "password".
PASSWORD_LABELS = {
    "current_password": "Password attuale",
    "new_password": "Nuova password",
    "new_password_confirmation": "Conferma nuova password",
}
PASSWORD_ALIASES = {"password": "new_password", "password_confirmation": "new_password_confirmation"}
ALL_LABELS = {**CONTACT_LABELS, **EMAIL_LABELS, **OTP_LABELS, **PASSWORD_LABELS}
PENDING_EMAIL = "email_change"


async def _render(
    request: Request,
    identity: IdentityClient,
    *,
    contacts: FormState | None = None,
    email_form: FormState | None = None,
    otp_form: FormState | None = None,
    password_form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    profile: Profile | None
    try:
        profile = await identity.me()
    except ServiceUnavailable:
        # The forms still show what was typed; the details say they could not be loaded.
        profile = None
        status_code = 503
    else:
        auth.update_profile(request, profile)
    if contacts is None:
        contacts = FormState(values={k: str(getattr(profile, k, None) or "") for k in CONTACT_LABELS})
    return templates.TemplateResponse(
        request,
        "profile.html",
        {
            "profile": profile,
            "contacts": contacts,
            "email_form": email_form or FormState(),
            "otp_form": otp_form or FormState(),
            "password_form": password_form or FormState(),
            "pending_email": request.session.get(PENDING_EMAIL),
            "labels": ALL_LABELS,
        },
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
async def profile_page(request: Request, user: CurrentUser, identity: Identity) -> Response:
    return await _render(request, identity)


@router.post("", response_class=HTMLResponse)
async def update_contacts(request: Request, user: CurrentUser, identity: Identity) -> Response:
    values = form_values(await request.form(), CONTACT_LABELS)
    values["postcode"] = values["postcode"].replace(" ", "")
    form = FormState(values=values)
    saved = await submit(form, identity.update_contacts(ContactsUpdate(**values)), CONTACT_LABELS)
    if not saved.ok:
        return await _render(request, identity, contacts=form, status_code=saved.status_code)
    flash(request, "I tuoi recapiti sono stati aggiornati.", "success")
    return RedirectResponse("/profilo", status_code=303)


@router.post("/email", response_class=HTMLResponse)
async def request_email_change(request: Request, user: CurrentUser, identity: Identity) -> Response:
    data = await request.form()
    new_email = str(data.get("new_email", "")).strip()
    form = FormState(values={"new_email": new_email})
    asked = await submit(
        form, identity.request_email_change(new_email, str(data.get("password", ""))), EMAIL_LABELS
    )
    if not asked.ok:
        return await _render(request, identity, email_form=form, status_code=asked.status_code)
    request.session[PENDING_EMAIL] = new_email
    flash(
        request,
        f"Ti abbiamo inviato un codice OTP all'indirizzo {new_email}: inseriscilo per confermare.",
        "info",
    )
    return RedirectResponse("/profilo#cambio-email", status_code=303)


def _otp_detail(problem: ApiProblem, form: FormState) -> bool:
    # A refusal that names no field is about the code (the only field of the form).
    if not problem.errors and problem.status in (400, 422):
        form.add("otp", problem.detail)
        return True
    return False


@router.post("/email/conferma", response_class=HTMLResponse)
async def confirm_email_change(request: Request, user: CurrentUser, identity: Identity) -> Response:
    otp = str((await request.form()).get("otp", "")).replace(" ", "").strip()
    form = FormState(values={"otp": otp})
    confirmed = await submit(form, identity.confirm_email_change(otp), OTP_LABELS, explain=_otp_detail)
    if not confirmed.ok:
        return await _render(request, identity, otp_form=form, status_code=confirmed.status_code)
    request.session.pop(PENDING_EMAIL, None)
    auth.update_profile(request, confirmed.result)
    flash(request, "Il tuo indirizzo email è stato aggiornato.", "success")
    return RedirectResponse("/profilo", status_code=303)


@router.post("/email/annulla")
async def cancel_email_change(request: Request, user: CurrentUser) -> Response:
    request.session.pop(PENDING_EMAIL, None)
    return RedirectResponse("/profilo", status_code=303)


@router.post("/password", response_class=HTMLResponse)
async def change_password(request: Request, user: CurrentUser, identity: Identity) -> Response:
    data = await request.form()
    # Passwords are never written back into the page: nothing typed is kept on a refusal.
    form = FormState()
    changed = await submit(
        form,
        identity.change_password(
            str(data.get("current_password", "")),
            str(data.get("new_password", "")),
            str(data.get("new_password_confirmation", "")),
        ),
        PASSWORD_LABELS,
        aliases=PASSWORD_ALIASES,
    )
    if not changed.ok:
        return await _render(request, identity, password_form=form, status_code=changed.status_code)
    flash(
        request,
        "La password è stata cambiata. Per sicurezza le altre sessioni aperte con il tuo account "
        "sono state chiuse: su quei dispositivi accedi con la nuova password.",
        "success",
    )
    return RedirectResponse("/profilo#cambio-password", status_code=303)
