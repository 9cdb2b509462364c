"""`/operatore/pagamenti`: the payments of the subscriptions, for operators: listed by citizen
or by the period in which they were paid, the receipt of each, and "Esporta CSV" of a period
(billing's file, streamed through)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.deps import Billing, StaffUser
from portal.periods import export_of_period, period_filter, query_string
from portal.review import Pagination, or_404
from portal.templating import templates

BASE = "/operatore/pagamenti"
router = APIRouter(prefix=BASE)

LABELS = {"dal": "Pagati dal giorno", "al": "Pagati fino al giorno"}
PERIOD_REQUIRED = "Per esportare i pagamenti indica il periodo: il primo e l'ultimo giorno."


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
    form, start, end = period_filter(dal, al)
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
            "all_citizens_href": BASE + query_string(dal=form.value("dal"), al=form.value("al")),
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
    return await export_of_period(
        request,
        BASE,
        dal,
        al,
        billing.payments_csv,
        period_required=PERIOD_REQUIRED,
        cittadino=cittadino,
    )


@router.get("/{request_id}/ricevuta")
async def receipt(user: StaffUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return (await or_404(billing.receipt(request_id))).as_response()
