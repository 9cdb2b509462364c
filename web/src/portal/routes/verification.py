"""`/operatore/verifica`: "Verifica targa", the operators' enforcement check. A plate typed (is
it covered today by a valid subscription?) or the text of a ticket's QR code, as a device
scans it (its signature, then its subscription today); the verdict big and clear: "Valido",
with the sector and the last day, or the service's words (expired, revoked, not found,
invalid)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.clients.subscriptions import EnforcementCheck
from portal.deps import StaffUser, Subscriptions
from portal.forms import FormState, form_values, submit
from portal.templating import templates

BASE = "/operatore/verifica"
router = APIRouter(prefix=BASE)

LABELS = {"targa": "Targa", "token": "Token del contrassegno"}
PLATE_REQUIRED = "Indica la targa, ad esempio AB123CD."
TOKEN_REQUIRED = "Incolla il testo del codice QR del contrassegno."
CHECK_UNAVAILABLE = "La verifica non è al momento disponibile: riprova tra qualche minuto."
# Bootstrap Italia's tone of each verdict (the words carry the meaning, not the colour).
TONES = {"valid": "success", "not_yet_valid": "warning", "not_found": "warning"}


def _page(
    request: Request, form: FormState, check: EnforcementCheck | None, status_code: int = 200
) -> Response:
    return templates.TemplateResponse(
        request,
        "operator/verification.html",
        {
            "form": form,
            "labels": LABELS,
            "check": check,
            "tone": TONES.get(check.outcome, "danger") if check else None,
            "base": BASE,
        },
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
async def check_plate(
    request: Request, user: StaffUser, subscriptions: Subscriptions, targa: str = ""
) -> Response:
    """The plate is asked in the address (``?targa=``): a check can be linked and repeated."""
    form = FormState(values={"targa": targa.strip()})
    if not form.value("targa"):
        if "targa" in request.query_params:
            form.add("targa", PLATE_REQUIRED)
            return _page(request, form, None, 422)
        return _page(request, form, None)
    sent = await submit(
        form,
        subscriptions.check_plate(form.value("targa")),
        LABELS,
        aliases={"plate": "targa"},
        unavailable_message=CHECK_UNAVAILABLE,
    )
    return _page(request, form, sent.result if sent.ok else None, sent.status_code)


@router.post("", response_class=HTMLResponse)
async def verify_ticket(request: Request, user: StaffUser, subscriptions: Subscriptions) -> Response:
    form = FormState(values=form_values(await request.form(), ["token"]))
    if not form.value("token"):
        form.add("token", TOKEN_REQUIRED)
        return _page(request, form, None, 422)
    sent = await submit(
        form,
        subscriptions.verify_ticket(form.value("token")),
        LABELS,
        unavailable_message=CHECK_UNAVAILABLE,
    )
    return _page(request, form, sent.result if sent.ok else None, sent.status_code)
