"""Fase 2 of the manual: login (with links to registration and password recovery) and logout."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal import auth
from portal.api import ApiProblem, ServiceUnavailable
from portal.deps import Identity
from portal.errors import safe_next
from portal.forms import FormState, submit
from portal.templating import flash, templates

log = structlog.get_logger("portal.login")
router = APIRouter()

LABELS = {"email": "Email", "password": "Password"}
INVALID_CREDENTIALS = "Email o password non corretti."
PREFILL_EMAIL = "prefill_email"


def _page(request: Request, form: FormState, next_url: str | None, status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "auth/login.html",
        {"form": form, "labels": LABELS, "next": next_url or ""},
        status_code=status_code,
    )


def _throttled_message(problem: ApiProblem) -> str:
    # Identity's own wording when it explains the wait; ours when it repeats the generic one.
    if problem.code == "too_many_attempts" and problem.detail != INVALID_CREDENTIALS:
        return problem.detail
    if problem.retry_after_s:
        minutes = max(1, -(-problem.retry_after_s // 60))
        wait = "un minuto" if minutes == 1 else f"{minutes} minuti"
        return f"Troppi tentativi di accesso non riusciti: per sicurezza riprova tra {wait}."
    return "Troppi tentativi di accesso non riusciti: per sicurezza riprova tra qualche minuto."


def _explain(problem: ApiProblem, form: FormState) -> bool:
    if problem.status == 422:
        return False  # field errors, placed as on every form
    # One message for a wrong e-mail or a wrong password: nobody learns which accounts exist.
    form.general.append(_throttled_message(problem) if problem.status == 429 else INVALID_CREDENTIALS)
    return True


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str | None = None) -> Response:
    user = auth.current_user(request)
    if user is not None:
        return RedirectResponse(safe_next(next) or user.home, status_code=303)
    form = FormState(values={"email": request.session.pop(PREFILL_EMAIL, "")})
    return _page(request, form, safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, identity: Identity) -> Response:
    data = await request.form()
    email = str(data.get("email", "")).strip()
    password = str(data.get("password", ""))
    next_url = safe_next(str(data.get("next", "")))
    form = FormState(values={"email": email})
    if not email:
        form.add("email", "Inserisci l'indirizzo email.")
    if not password:
        form.add("password", "Inserisci la password.")
    if form.has_errors:
        return _page(request, form, next_url, 422)

    logged_in = await submit(form, identity.login(email, password), LABELS, explain=_explain)
    if not logged_in.ok:
        status = logged_in.status_code
        return _page(request, form, next_url, status if status in (401, 422, 429, 503) else 400)

    auth.start_session(request, logged_in.result, email=email)
    try:
        auth.update_profile(request, await identity.me())
    except (ApiProblem, ServiceUnavailable, auth.LoginRequired) as exc:
        # Logged in all the same (identity has just issued the tokens): the next page asks
        # identity for the profile again.
        log.warning("portal.profile_unavailable_after_login", error=type(exc).__name__)
    home = "/operatore" if logged_in.result.role in auth.STAFF_ROLES else "/dashboard"
    return RedirectResponse(next_url or home, status_code=303)


@router.post("/logout")
async def logout(request: Request, identity: Identity) -> Response:
    refresh_token = auth.end_session(request)
    if refresh_token:
        try:
            await identity.logout(refresh_token)
        except (ApiProblem, ServiceUnavailable) as exc:
            # The cookie is gone either way; the refresh token expires by itself.
            log.warning("portal.logout_not_revoked", error=type(exc).__name__)
    flash(request, "Sei uscito dall'area personale.", "success")
    return RedirectResponse("/", status_code=303)
