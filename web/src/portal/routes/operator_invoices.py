"""`/operatore/fatture`: the invoices issued to citizens, for operators: listed by citizen or by
the period in which they were issued, the PDF and the FatturaPA XML of each, and the exports of
a period, "Esporta CSV" (for a spreadsheet) and "Esporta XML (ZIP)" (the files as SDI names
them), billing's files streamed through."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal.deps import Billing, StaffUser
from portal.periods import export_of_period, period_filter, query_string
from portal.review import Pagination, or_404
from portal.templating import templates

BASE = "/operatore/fatture"
router = APIRouter(prefix=BASE)

LABELS = {"dal": "Emesse dal giorno", "al": "Emesse fino al giorno"}
PERIOD_REQUIRED = "Per esportare le fatture indica il periodo: il primo e l'ultimo giorno."


@router.get("", response_class=HTMLResponse)
async def invoices_page(
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
            billing.invoices(
                user_id=cittadino, start=start, end=end, limit=pagination.size, offset=pagination.offset
            )
        )
    return templates.TemplateResponse(
        request,
        "operator/invoices.html",
        {
            "invoices": listing,
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
    """ "Esporta CSV": every invoice issued in the period (whoever it was made out to)."""
    return await export_of_period(
        request, BASE, dal, al, billing.invoices_csv, period_required=PERIOD_REQUIRED, cittadino=cittadino
    )


@router.get("/esporta-xml")
async def export_xml(
    request: Request,
    user: StaffUser,
    billing: Billing,
    dal: str = "",
    al: str = "",
    cittadino: uuid.UUID | None = None,
) -> Response:
    """ "Esporta XML (ZIP)": the FatturaPA files of the invoices issued in the period (at most a
    year: billing says so otherwise)."""
    return await export_of_period(
        request, BASE, dal, al, billing.invoices_zip, period_required=PERIOD_REQUIRED, cittadino=cittadino
    )


@router.get("/{request_id}/pdf")
async def invoice_pdf(user: StaffUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return (await or_404(billing.invoice_pdf(request_id))).as_response()


@router.get("/{request_id}/xml")
async def invoice_xml(user: StaffUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return (await or_404(billing.invoice_xml(request_id))).as_response()
