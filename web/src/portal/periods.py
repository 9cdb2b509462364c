"""The period filter of the operators' lists (payments, invoices): "dal" and "al" as a date
field sends them (2026-03-01) or as typed where the browser has no date picker (01/03/2026),
checked, with their messages next to their fields; and the export of a period's file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse, Response
from starlette.requests import Request

from portal.api import ApiProblem, Download, ServiceUnavailable
from portal.forms import FormState
from portal.templating import flash

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


async def export_of_period(
    request: Request,
    back: str,
    dal: str,
    al: str,
    export: Callable[[date, date], Awaitable[Download]],
    *,
    period_required: str,
    cittadino: object = None,
) -> Response:
    """A file of the period (billing's, streamed to the browser as it arrives), or back to the
    list at ``back`` with why not: the period missing or mistyped, the service's refusal (a
    period too long), the service not answering."""
    form, start, end = period_filter(dal, al)
    back += query_string(dal=form.value("dal"), al=form.value("al"), cittadino=cittadino)
    if form.has_errors or start is None or end is None:
        flash(request, next(iter(form.errors.values()), period_required), "warning")
        return RedirectResponse(back, status_code=303)
    try:
        download = await export(start, end)
    except ApiProblem as problem:
        flash(request, problem.errors[0].message if problem.errors else problem.detail, "warning")
        return RedirectResponse(back, status_code=303)
    except ServiceUnavailable:
        flash(request, EXPORT_UNAVAILABLE, "warning")
        return RedirectResponse(back, status_code=303)
    return download.as_response()
