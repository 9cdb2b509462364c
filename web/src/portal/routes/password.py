"""Password recovery: a link by e-mail (`/password/dimenticata`), then a new password
(`/password/reimposta?t=...`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal import auth
from portal.deps import Identity
from portal.forms import FormState, submit
from portal.routes.auth import PREFILL_EMAIL
from portal.templating import flash, templates

router = APIRouter(prefix="/password")

FORGOT_LABELS = {"email": "Email"}
RESET_LABELS = {"password": "Nuova password", "password_confirmation": "Conferma password"}
# The same words whether or not the address has an account: nobody learns who is registered.
SENT_MESSAGE = "Se l'indirizzo è registrato, riceverai un'email con le istruzioni."
INVALID_LINK = "Il link non è valido o è scaduto."


def _forgot_page(request: Request, form: FormState, status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request, "password/forgot.html", {"form": form, "labels": FORGOT_LABELS}, status_code=status_code
    )


@router.get("/dimenticata", response_class=HTMLResponse)
async def forgot_page(request: Request) -> Response:
    return _forgot_page(request, FormState())


@router.post("/dimenticata", response_class=HTMLResponse)
async def forgot(request: Request, identity: Identity) -> Response:
    data = await request.form()
    email = str(data.get("email", "")).strip()
    form = FormState(values={"email": email})
    if not email:
        form.add("email", "Inserisci l'indirizzo email del tuo account.")
        return _forgot_page(request, form, 422)
    sent = await submit(form, identity.forgot_password(email), FORGOT_LABELS)
    if not sent.ok:
        return _forgot_page(request, form, sent.status_code)
    return templates.TemplateResponse(
        request, "password/sent.html", {"message": SENT_MESSAGE, "email": email}
    )


def _reset_page(request: Request, token: str, form: FormState, status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "password/reset.html",
        {"form": form, "labels": RESET_LABELS, "token": token},
        status_code=status_code,
    )


def _invalid_link(request: Request, message: str = INVALID_LINK) -> Response:
    return templates.TemplateResponse(request, "password/invalid.html", {"message": message}, status_code=400)


@router.get("/reimposta", response_class=HTMLResponse)
async def reset_page(request: Request, t: str | None = None) -> Response:
    if not t:
        return _invalid_link(request)
    return _reset_page(request, t, FormState())


@router.post("/reimposta", response_class=HTMLResponse)
async def reset(request: Request, identity: Identity) -> Response:
    data = await request.form()
    token = str(data.get("token", ""))
    if not token:
        return _invalid_link(request)
    form = FormState()
    changed = await submit(
        form,
        identity.reset_password(
            token, str(data.get("password", "")), str(data.get("password_confirmation", ""))
        ),
        RESET_LABELS,
    )
    problem = changed.problem
    if problem is not None and (problem.code == "reset_token_invalid" or problem.status == 400):
        return _invalid_link(request, problem.detail or INVALID_LINK)
    if not changed.ok:
        return _reset_page(request, token, form, changed.status_code)

    # Every refresh token of the account is revoked: a session open here would fail anyway.
    user = auth.current_user(request)
    auth.end_session(request)
    email = user.email if user else ""
    if email:
        request.session[PREFILL_EMAIL] = email
    flash(request, "La password è stata aggiornata. Accedi con la nuova password.", "success")
    return RedirectResponse("/login", status_code=303)
