"""The operators' lists of billing's records (payments, invoices): a citizen's or a period's,
paged, and the files of a period ("Esporta CSV"). The period, "dal" and "al", as a date field
sends them (2026-03-01) or as typed where the browser has no date picker (01/03/2026), is
checked, with its messages next to its fields. A list's module declares what differs in a
`PeriodList`; `period_list_router` makes its pages."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.requests import Request

from portal.api import ApiProblem, Download, ServiceUnavailable
from portal.clients.base import Page
from portal.clients.billing import BillingClient, PeriodQuery
from portal.deps import Billing, StaffUser
from portal.forms import FormState
from portal.review import Pagination, or_404
from portal.templating import flash, templates

DATE_ERROR = "Indica una data, ad esempio 01/03/2026."
REVERSED = "La data finale precede quella iniziale."


def parse_day(text: str) -> date | None:
    """2026-03-01 (a date field) or 01/03/2026 (typed where the browser has no date picker)."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def period_filter(dal: str, al: str) -> tuple[FormState, date | None, date | None]:
    """The period asked, checked: errors next to its fields, the days as a date field shows them."""
    form = FormState(values={"dal": dal.strip(), "al": al.strip()})
    days: dict[str, date | None] = {}
    for name in ("dal", "al"):
        text = form.value(name)
        days[name] = parse_day(text) if text else None
        if text and days[name] is None:
            form.add(name, DATE_ERROR)
        elif days[name] is not None:
            form.values[name] = days[name].isoformat()
    start, end = days["dal"], days["al"]
    if start and end and start > end:
        form.add("al", REVERSED)
    return form, start, end


def query_string(**params: object) -> str:
    """``?dal=…&al=…`` of the filters given, the empty ones left out ("" when none is)."""
    kept = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


EXPORT_UNAVAILABLE = "L'esportazione non è al momento disponibile: riprova tra qualche minuto."


@dataclass(frozen=True)
class PeriodList:
    """What sets an operators' list of billing's records apart."""

    # Where its pages are: "/operatore/pagamenti".
    base: str
    template: str
    # The words of the period's fields: "Pagati dal giorno".
    labels: Mapping[str, str]
    # Why an export without its period is refused.
    period_required: str
    listing: Callable[[BillingClient, PeriodQuery], Awaitable[Page[Any]]]
    # The exports of a period, by their address under ``base`` ("/esporta": the CSV).
    exports: Mapping[str, Callable[[BillingClient, date, date], Awaitable[Download]]]


def period_list_router(kind: PeriodList) -> APIRouter:
    router = APIRouter(prefix=kind.base)

    @router.get("", response_class=HTMLResponse)
    async def list_page(
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
        if not form.has_errors:
            query = PeriodQuery(cittadino, start, end, limit=pagination.size, offset=pagination.offset)
            listing = await or_404(kind.listing(billing, query))
        return templates.TemplateResponse(
            request,
            kind.template,
            {
                "listing": listing,
                "pagination": pagination.of(listing.total if listing else 0),
                "filters": form,
                "labels": kind.labels,
                "citizen": cittadino,
                "all_citizens_href": kind.base + query_string(dal=form.value("dal"), al=form.value("al")),
                "base": kind.base,
            },
            status_code=422 if form.has_errors else 200,
        )

    for path, export in kind.exports.items():
        router.add_api_route(path, _export_page(kind, export), methods=["GET"])
    return router


def _export_page(
    kind: PeriodList, export: Callable[[BillingClient, date, date], Awaitable[Download]]
) -> Callable[..., Awaitable[Response]]:
    async def export_page(
        request: Request,
        user: StaffUser,
        billing: Billing,
        dal: str = "",
        al: str = "",
        cittadino: uuid.UUID | None = None,
    ) -> Response:
        """A file of the period (billing's, streamed to the browser as it arrives), or back to
        the list with why not: the period missing or mistyped, the service's refusal (a period
        too long), the service not answering."""
        form, start, end = period_filter(dal, al)
        back = kind.base + query_string(dal=form.value("dal"), al=form.value("al"), cittadino=cittadino)
        if form.has_errors or start is None or end is None:
            flash(request, next(iter(form.errors.values()), kind.period_required), "warning")
            return RedirectResponse(back, status_code=303)
        try:
            download = await export(billing, start, end)
        except ApiProblem as problem:
            flash(request, problem.errors[0].message if problem.errors else problem.detail, "warning")
            return RedirectResponse(back, status_code=303)
        except ServiceUnavailable:
            flash(request, EXPORT_UNAVAILABLE, "warning")
            return RedirectResponse(back, status_code=303)
        return download.as_response()

    return export_page
