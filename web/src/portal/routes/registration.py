"""Fase 3 of the manual: registration.

Step 1 (`/registrazione`): email, codice fiscale, password, privacy. Identity opens a
registration session (10 minutes) and e-mails the OTP with a link that resumes it.
Step 2 (`/registrazione/{id}?t=...`): the anagrafica and the OTP. Sex, birth date and birth
place are read from the codice fiscale by identity and shown for confirmation, not typed. The
resume token is a secret: it travels in the link and is kept in the signed session cookie,
never in a page. On completion identity answers with a login: the citizen lands in the
personal area signed in (the portal never keeps the password of step 1 to log in with it).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal import auth
from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.identity import (
    IdentityClient,
    OtpResent,
    RegistrationDetails,
    RegistrationStart,
    RegistrationStatus,
)
from portal.deps import Identity
from portal.errors import is_htmx
from portal.forms import FormState, form_values, non_empty, submit
from portal.privacy import PRIVACY_VERSION
from portal.templating import flash, templates

log = structlog.get_logger("portal.registration")
router = APIRouter()

START_LABELS = {
    "email": "Email",
    "tax_code": "Codice fiscale",
    "password": "Password",
    "password_confirmation": "Conferma password",
    "privacy_accepted": "Informativa privacy",
}
DETAIL_LABELS = {
    "first_name": "Nome",
    "last_name": "Cognome",
    "address_street": "Via/Piazza",
    "address_number": "Numero civico",
    "postcode": "CAP",
    "municipality": "Comune",
    "phone": "Telefono",
    "otp": "Codice OTP",
}
# Read from the codice fiscale: shown, never typed. Identity names them in a mismatch refusal
# only for clients that still send them; the portal does not.
DERIVED_LABELS = {"sex": "Sesso", "birth_date": "Data di nascita", "birth_place": "Luogo di nascita"}
SEXES = {"F": "Femminile", "M": "Maschile"}
EXPIRED_MESSAGE = "La sessione di registrazione è scaduta: inizia una nuova registrazione."
# Resume tokens kept in the cookie: the last few sessions are enough (a second tab, a retry).
_SESSION_KEY = "registrations"
_KEEP = 3


def _remember(request: Request, registration_id: str, token: str, email: str | None = None) -> None:
    kept: dict[str, Any] = dict(request.session.get(_SESSION_KEY) or {})
    entry = kept.pop(registration_id, {})
    entry["t"] = token
    if email:
        entry["email"] = email
    kept[registration_id] = entry
    request.session[_SESSION_KEY] = dict(list(kept.items())[-_KEEP:])


def _remembered(request: Request, registration_id: str) -> dict[str, Any]:
    entry = (request.session.get(_SESSION_KEY) or {}).get(registration_id)
    return entry if isinstance(entry, dict) and entry.get("t") else {}


def _forget(request: Request, registration_id: str) -> None:
    kept = dict(request.session.get(_SESSION_KEY) or {})
    kept.pop(registration_id, None)
    request.session[_SESSION_KEY] = kept


def _valid_id(registration_id: str) -> bool:
    try:
        uuid.UUID(registration_id)
    except ValueError:
        return False
    return True


# --- step 1 -------------------------------------------------------------------------------


def _start_page(request: Request, form: FormState, status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "registration/start.html",
        {"form": form, "labels": START_LABELS, "privacy_version": PRIVACY_VERSION},
        status_code=status_code,
    )


@router.get("/registrazione", response_class=HTMLResponse)
async def start_page(request: Request) -> Response:
    user = auth.current_user(request)
    if user is not None:
        return RedirectResponse(user.home, status_code=303)
    return _start_page(request, FormState())


@router.post("/registrazione", response_class=HTMLResponse)
async def start(request: Request, identity: Identity) -> Response:
    data = await request.form()
    values = form_values(data, ["email", "tax_code"])
    values["tax_code"] = values["tax_code"].replace(" ", "").upper()
    privacy_accepted = data.get("privacy_accepted") in ("1", "on", "true")
    form = FormState(values={**values, "privacy_accepted": "1" if privacy_accepted else ""})
    body = RegistrationStart(
        **non_empty(values),
        password=str(data.get("password", "")),
        password_confirmation=str(data.get("password_confirmation", "")),
        privacy_accepted=privacy_accepted,
        privacy_version=PRIVACY_VERSION,
    )
    started = await submit(form, identity.start_registration(body), START_LABELS)
    if not started.ok:
        return _start_page(request, form, started.status_code)

    created = started.result
    registration_id, token = str(created.registration_id), created.resume_token
    _remember(request, registration_id, token, created.email or values["email"])
    return RedirectResponse(f"/registrazione/{registration_id}?t={token}", status_code=303)


# --- step 2 -------------------------------------------------------------------------------


def _ended_page(request: Request, registration_id: str, message: str, status_code: int) -> Response:
    _forget(request, registration_id)
    return templates.TemplateResponse(
        request,
        "registration/ended.html",
        {"message": message, "expired": status_code == 410},
        status_code=status_code,
    )


def _invalid_link(request: Request) -> Response:
    return templates.TemplateResponse(request, "registration/invalid.html", status_code=404)


async def _load(
    request: Request, identity: IdentityClient, registration_id: str, token: str
) -> RegistrationStatus | Response:
    """The registration session, or the page that explains why it cannot continue."""
    try:
        return await identity.registration(registration_id, token)
    except ApiProblem as problem:
        if problem.status == 410:
            return _ended_page(request, registration_id, problem.detail or EXPIRED_MESSAGE, 410)
        return _invalid_link(request)


def _details_page(
    request: Request,
    registration_id: str,
    form: FormState,
    *,
    registration: RegistrationStatus | None = None,
    email: str = "",
    status_code: int = 200,
) -> Response:
    """Without ``registration`` (identity did not answer) the page shows no countdown."""
    remaining_ms = None
    expires_at = ""
    if registration is not None:
        email = registration.email
        deadline = registration.expires_at.astimezone(UTC)
        remaining_ms = max(0, int((deadline - datetime.now(UTC)).total_seconds() * 1000))
        expires_at = deadline.isoformat().replace("+00:00", "Z")
    # Rounded up, as the script counts: "00:00" only once the session has really expired.
    seconds = -(-(remaining_ms or 0) // 1000)
    derived = _derived(registration) if registration is not None else None
    return templates.TemplateResponse(
        request,
        "registration/details.html",
        {
            "registration_id": registration_id,
            "email": email,
            "tax_code": registration.tax_code if registration else "",
            "expires_at": expires_at,
            "remaining_ms": remaining_ms,
            "time_left": f"{seconds // 60:02d}:{seconds % 60:02d}",
            "derived": derived,
            # No countdown once the codes are used up: the button says so instead.
            "resend_in_s": registration.otp_resend_in_s
            if registration and registration.otp_resends_left
            else None,
            "resends_used_up": registration is not None and registration.otp_resends_left == 0,
            "form": form,
            "labels": {**DETAIL_LABELS, **DERIVED_LABELS},
        },
        status_code=status_code,
    )


def _derived(registration: RegistrationStatus) -> list[tuple[str, str]] | None:
    """Sex, birth date and birth place as the page shows them, or None when identity did not
    say (an older identity)."""
    if not (registration.sex and registration.birth_date and registration.birth_place):
        return None
    province = registration.birth_province or ""
    if province == "EE":
        place = f"{registration.birth_place} (Stato estero)"
    else:
        place = f"{registration.birth_place} ({province})" if province else registration.birth_place
    return [
        ("Sesso", SEXES.get(registration.sex, registration.sex)),
        ("Data di nascita", f"{registration.birth_date:%d/%m/%Y}"),
        ("Luogo di nascita", place),
    ]


@router.get("/registrazione/{registration_id}", response_class=HTMLResponse)
async def details_page(
    request: Request, registration_id: str, identity: Identity, t: str | None = None
) -> Response:
    if not _valid_id(registration_id):
        return _invalid_link(request)
    token = t or _remembered(request, registration_id).get("t")
    if not token:
        return _invalid_link(request)
    loaded = await _load(request, identity, registration_id, token)
    if isinstance(loaded, Response):
        return loaded
    # The link from the e-mail may open in another browser: from now on this one holds it.
    _remember(request, registration_id, token, loaded.email)
    return _details_page(
        request, registration_id, FormState(values={"municipality": "Caserta"}), registration=loaded
    )


def _explain_refusal(problem: ApiProblem, form: FormState) -> bool:
    if problem.code == "otp_invalid" and not problem.errors:
        form.add("otp", problem.detail)
        return True
    if problem.code == "tax_code_mismatch":
        # Each mismatching field is marked; the summary says first what they have in common.
        form.apply_problem(problem, DETAIL_LABELS)
        form.general.insert(0, problem.detail)
        return True
    return False


@router.post("/registrazione/{registration_id}", response_class=HTMLResponse)
async def complete(request: Request, registration_id: str, identity: Identity) -> Response:
    remembered = _remembered(request, registration_id) if _valid_id(registration_id) else {}
    if not remembered:
        return _invalid_link(request)
    token = remembered["t"]
    data = await request.form()
    values = form_values(data, DETAIL_LABELS)
    values["otp"] = values["otp"].replace(" ", "")
    values["postcode"] = values["postcode"].replace(" ", "")
    form = FormState(values=values)
    details = RegistrationDetails(**non_empty(values))
    completed = await submit(
        form,
        identity.complete_registration(registration_id, token, details),
        DETAIL_LABELS,
        explain=_explain_refusal,
    )
    if completed.unavailable:
        email = remembered.get("email", "")
        return _details_page(request, registration_id, form, email=email, status_code=503)
    if (problem := completed.problem) is not None:
        if problem.status == 410:
            return _ended_page(request, registration_id, problem.detail or EXPIRED_MESSAGE, 410)
        if problem.code == "otp_locked":
            return _ended_page(request, registration_id, problem.detail, problem.status)
        if problem.status == 404:
            return _invalid_link(request)
        loaded = await _load(request, identity, registration_id, token)
        if isinstance(loaded, Response):
            return loaded
        return _details_page(request, registration_id, form, registration=loaded, status_code=problem.status)

    # Signed in with the login identity gave on completion (a fresh session: no fixation).
    email = remembered.get("email", "")
    auth.start_session(request, completed.result, email=email)
    try:
        auth.update_profile(request, await identity.me())
    except (ApiProblem, ServiceUnavailable, auth.LoginRequired) as exc:
        # Signed in all the same: the header shows the e-mail instead of the name.
        log.warning("portal.profile_unavailable_after_registration", error=type(exc).__name__)
    flash(request, "Registrazione completata: ti diamo il benvenuto nella tua area personale.", "success")
    return RedirectResponse("/dashboard", status_code=303)


@router.post("/registrazione/{registration_id}/codice", response_class=HTMLResponse)
async def resend_otp(request: Request, registration_id: str, identity: Identity) -> Response:
    remembered = _remembered(request, registration_id) if _valid_id(registration_id) else {}
    if not remembered:
        return _invalid_link(request)
    email = remembered.get("email", "")
    level, expired = "success", False
    # What the page's timer does next: wait resend_in_s, or (used_up) offer no more codes.
    resend_in_s: int | None = None
    used_up = False
    try:
        resent: OtpResent = await identity.resend_otp(registration_id, remembered["t"])
        resend_in_s, used_up = resent.otp_resend_in_s, resent.otp_resends_left == 0
        message = (
            f"Ti abbiamo inviato un nuovo codice OTP all'indirizzo {email}."
            if email
            else "Ti abbiamo inviato un nuovo codice OTP via email."
        )
    except ServiceUnavailable:
        level, message = "danger", "Il servizio non è al momento disponibile: riprova tra qualche minuto."
    except ApiProblem as problem:
        # Identity says how long to wait, or that no more codes can be sent.
        level, message = "warning", problem.detail
        if problem.status == 429:
            resend_in_s, used_up = await _resend_state(identity, registration_id, remembered["t"], problem)
        if problem.status == 410:
            _forget(request, registration_id)
            level, message, expired = "danger", problem.detail or EXPIRED_MESSAGE, True
        elif problem.status == 404:
            return _invalid_link(request)

    if is_htmx(request):
        # Only the status line changes: what the citizen typed in the form stays there.
        return templates.TemplateResponse(
            request,
            "registration/_resend_status.html",
            {
                "level": level,
                "message": message,
                "expired": expired,
                "resend_in_s": resend_in_s,
                "used_up": used_up,
            },
        )
    flash(request, message, level)  # type: ignore[arg-type]
    if expired:
        return RedirectResponse("/registrazione", status_code=303)
    return RedirectResponse(f"/registrazione/{registration_id}", status_code=303)


async def _resend_state(
    identity: IdentityClient, registration_id: str, token: str, problem: ApiProblem
) -> tuple[int | None, bool]:
    """After a refused resend: the wait to count down, or that the codes are used up (then
    identity's Retry-After is the rest of the session, not a wait worth counting)."""
    try:
        registration = await identity.registration(registration_id, token)
    except (ApiProblem, ServiceUnavailable):
        return problem.retry_after_s, False
    if registration.otp_resends_left == 0:
        return None, True
    return problem.retry_after_s or registration.otp_resend_in_s, False
