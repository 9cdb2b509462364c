"""`/operatore/pagamenti`: the payments of the subscriptions, for operators: listed by citizen
or by the period in which they were paid, the receipt of each, and "Esporta CSV" of a period
(billing's file, streamed through)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.api import ApiProblem, ServiceUnavailable
from portal.deps import Billing, StaffUser
from portal.forms import FormState
from portal.review import Pagination, or_404
from portal.templating import flash, templates

BASE = "/operatore/pagamenti"
router = APIRouter(prefix=BASE)

LABELS = {"dal": "Pagati dal giorno", "al": "Pagati fino al giorno"}
DATE_ERROR = "Indica una data, ad esempio 01/03/2026."
REVERSED = "La data finale precede quella iniziale."
PERIOD_REQUIRED = "Per esportare i pagamenti indica il periodo: il primo e l'ultimo giorno."
EXPORT_UNAVAILABLE = "L'esportazione non è al momento disponibile: riprova tra qualche minuto."


def _day(text: str) -> date | None:
    """2026-03-01 (a date field) or 01/03/2026 (typed where the browser has no date picker)."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _period(dal: str, al: str) -> tuple[FormState, date | None, date | None]:
    """The period asked, checked: errors next to its fields, the days as a date field shows them."""
    form = FormState(values={"dal": dal.strip(), "al": al.strip()})
    days: dict[str, date | None] = {}
    for name in ("dal", "al"):
        text = form.value(name)
        days[name] = _day(text) if text else None
        if text and days[name] is None:
            form.add(name, DATE_ERROR)
        elif days[name] is not None:
            form.values[name] = days[name].isoformat()
    start, end = days["dal"], days["al"]
    if start and end and start > end:
        form.add("al", REVERSED)
    return form, start, end


def _query(**params: object) -> str:
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


@router.get("", response_class=HTMLResponse)
async def payments_page(
    request: Request,
    user: StaffUser,
    billing: Billing,
    dal: str = "",
    al: str = "",
    cittadino: uuid.UUID | None = None,
    pagina: int = 1,
) -> Response:
    form, start, end = _period(dal, al)
    pagination = Pagination.asked(
        pagina, {"dal": form.value("dal"), "al": form.value("al"), "cittadino": str(cittadino or "")}
    )
    listing = None
    status_code = 200
    if form.has_errors:
        status_code = 422
    else:
        listing = await or_404(
            billing.payments(
                user_id=cittadino, start=start, end=end, limit=pagination.size, offset=pagination.offset
            )
        )
    return templates.TemplateResponse(
        request,
        "operator/payments.html",
        {
            "payments": listing,
            "pagination": pagination.of(listing.total if listing else 0),
            "filters": form,
            "labels": LABELS,
            "citizen": cittadino,
            "all_citizens_href": BASE + _query(dal=form.value("dal"), al=form.value("al")),
            "base": BASE,
        },
        status_code=status_code,
    )


@router.get("/esporta")
async def export_csv(
    request: Request,
    user: StaffUser,
    billing: Billing,
    dal: str = "",
    al: str = "",
    cittadino: uuid.UUID | None = None,
) -> Response:
    """ "Esporta CSV": every payment received in the period (whoever paid)."""
    form, start, end = _period(dal, al)
    back = BASE + _query(dal=form.value("dal"), al=form.value("al"), cittadino=cittadino)
    if form.has_errors or start is None or end is None:
        flash(request, next(iter(form.errors.values()), PERIOD_REQUIRED), "warning")
        return RedirectResponse(back, status_code=303)
    try:
        download = await billing.payments_csv(start, end)
    except ApiProblem as problem:
        flash(request, problem.errors[0].message if problem.errors else problem.detail, "warning")
        return RedirectResponse(back, status_code=303)
    except ServiceUnavailable:
        flash(request, EXPORT_UNAVAILABLE, "warning")
        return RedirectResponse(back, status_code=303)
    return download.as_response()


@router.get("/{request_id}/ricevuta")
async def receipt(user: StaffUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return (await or_404(billing.receipt(request_id))).as_response()
