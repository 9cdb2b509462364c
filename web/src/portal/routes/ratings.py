"""The "Valuta questo servizio" page: the stars chosen at the bottom of any page arrive here
(a GET: no form token, no cookie on every page); this page adds the optional comment and sends
both to identity, then takes the citizen back to the page they rated."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.deps import Identity
from portal.errors import safe_next
from portal.forms import FormState, form_values, submit
from portal.templating import flash, templates

router = APIRouter(prefix="/valuta-servizio")

LABELS = {"stelle": "Valutazione", "commento": "Commento"}
MAX_COMMENT = 1000
THANKS = "Grazie per la tua valutazione: ci aiuta a migliorare il servizio."
UNAVAILABLE = "Non è stato possibile registrare la valutazione: riprova tra qualche minuto."


def _stars(value: str) -> int | None:
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


def _page(request: Request, form: FormState, status_code: int = 200) -> Response:
    return templates.TemplateResponse(
        request,
        "pages/rating.html",
        {"form": form, "labels": LABELS, "stars": _stars(form.value("stelle")), "max_comment": MAX_COMMENT},
        status_code=status_code,
    )


@router.get("", response_class=HTMLResponse)
async def rating_page(request: Request, stelle: str = "", pagina: str = "") -> Response:
    return _page(request, FormState(values={"stelle": stelle, "pagina": safe_next(pagina) or ""}))


@router.post("", response_class=HTMLResponse)
async def rate(request: Request, identity: Identity) -> Response:
    form = FormState(values=form_values(await request.form(), ["stelle", "commento", "pagina"]))
    form.values["pagina"] = safe_next(form.value("pagina")) or ""
    stars = _stars(form.value("stelle"))
    if stars is None:
        form.add("stelle", "Scegli da 1 a 5 stelle.")
    if len(form.value("commento")) > MAX_COMMENT:
        form.add("commento", f"Scrivi al massimo {MAX_COMMENT} caratteri.")
    if form.has_errors or stars is None:
        return _page(request, form, 422)
    sent = await submit(
        form,
        identity.rate_service(stars, form.value("commento") or None, form.value("pagina") or None),
        ["stelle", "commento"],
        aliases={"stars": "stelle", "comment": "commento"},
        unavailable_message=UNAVAILABLE,
    )
    if not sent.ok:
        return _page(request, form, sent.status_code)
    flash(request, THANKS, "success")
    return RedirectResponse(form.value("pagina") or "/", status_code=303)
