"""`/operatore/tipologie` (admins only): the catalogue of subscription types ("Tipologia di
abbonamento"): name, sectors, duration, price, VAT, renewable, for electric cars only,
active. The price is typed in euro as people write it ("60,00", "1.234,50") and sent in
integer cents, never through a float. A type is never deleted (requests refer to it): it is
deactivated."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.certification import CertificationClient
from portal.clients.subscriptions import SubscriptionType, TypeDraft
from portal.deps import AdminUser, Certification, Subscriptions
from portal.forms import FormState, form_values, submit
from portal.money import format_amount, format_rate, parse_euro, parse_rate
from portal.review import or_404
from portal.templating import flash, templates

BASE = "/operatore/tipologie"
router = APIRouter(prefix=BASE)

LABELS = {
    "code": "Codice",
    "name": "Nome",
    "description": "Descrizione",
    "sector_codes": "Settori",
    "all_sectors": "Valida in tutti i settori",
    "duration_months": "Durata in mesi",
    "price": "Prezzo in euro (IVA inclusa)",
    "vat_rate": "Aliquota IVA (%)",
    "renewable": "Rinnovabile",
    "electric_only": "Solo per auto elettriche",
    "active": "Tipologia attiva",
}
# The service names the price in cents; the admin typed it in euro.
ALIASES = {"price_cents": "price"}
TEXT_FIELDS = ["code", "name", "description", "duration_months", "price", "vat_rate"]
FLAGS = ["all_sectors", "renewable", "electric_only", "active"]
DEFAULT_VAT_RATE = "22"

PRICE_REQUIRED = "Indica il prezzo in euro, ad esempio 60,00 (0 per un abbonamento gratuito)."
PRICE_INVALID = "Scrivi il prezzo in euro con al massimo due decimali, ad esempio 60,00 o 1.234,50."
DURATION_INVALID = "Indica la durata con un numero intero di mesi, ad esempio 12."
VAT_INVALID = "Indica l'aliquota in percentuale, ad esempio 22 o 5,5."
SECTORS_UNAVAILABLE = (
    "Il catalogo dei settori non è al momento disponibile: sono elencati solo i settori già "
    "scelti. Riprova tra qualche minuto per sceglierne altri."
)
_DURATION = re.compile(r"^\d{1,3}$")


def _draft(data: FormData) -> tuple[FormState, TypeDraft | None]:
    """The values typed and, when every one reads, the type to send; otherwise None, with a
    message next to each field that does not (nothing half-read is sent: a VAT rate left
    out would become the default one)."""
    values = form_values(data, TEXT_FIELDS)
    sectors = [v.strip() for v in data.getlist("sector_codes") if isinstance(v, str) and v.strip()]
    values["sector_codes"] = ",".join(dict.fromkeys(sectors))
    for flag in FLAGS:
        values[flag] = "1" if data.get(flag) else ""
    form = FormState(values=values)

    price_cents = parse_euro(values["price"]) if values["price"] else None
    if not values["price"]:
        form.add("price", PRICE_REQUIRED)
    elif price_cents is None:
        form.add("price", PRICE_INVALID)
    duration = int(values["duration_months"]) if _DURATION.match(values["duration_months"]) else None
    if duration is None:
        form.add("duration_months", DURATION_INVALID)
    rate = parse_rate(values["vat_rate"])
    if rate is None:
        form.add("vat_rate", VAT_INVALID)
    if form.has_errors:
        return form, None
    draft = TypeDraft(
        code=values["code"],
        name=values["name"],
        description=values["description"],
        sector_codes=[] if values["all_sectors"] else sectors,
        all_sectors=bool(values["all_sectors"]),
        duration_months=duration,
        price_cents=price_cents,
        vat_rate=format(rate.normalize(), "f") if rate is not None else None,
        renewable=bool(values["renewable"]),
        electric_only=bool(values["electric_only"]),
        active=bool(values["active"]),
    )
    return form, draft


async def _sector_options(
    certification: CertificationClient, form: FormState
) -> tuple[list[tuple[str, str]], bool]:
    """The sectors of the certification service's catalogue (and those already chosen, if it no
    longer lists them); False when the catalogue did not answer."""
    chosen = [code for code in form.value("sector_codes").split(",") if code]
    try:
        sectors = (await certification.all_sectors()).items
    except (ApiProblem, ServiceUnavailable):
        return [(code, code) for code in chosen], False
    options = [(s.code, f"{s.name} ({s.code})" + ("" if s.active else " – non attivo")) for s in sectors]
    known = {s.code for s in sectors}
    options += [(code, code) for code in chosen if code not in known]
    return options, True


async def _form_page(
    request: Request,
    certification: CertificationClient,
    form: FormState,
    *,
    code: str | None = None,
    status_code: int = 200,
) -> Response:
    sector_options, catalogue_answered = await _sector_options(certification, form)
    return templates.TemplateResponse(
        request,
        "operator/subscription_type_form.html",
        {
            "form": form,
            "labels": LABELS,
            "code": code,
            "base": BASE,
            "sector_options": sector_options,
            "sectors_notice": None if catalogue_answered else SECTORS_UNAVAILABLE,
        },
        status_code=status_code,
    )


def _values(subscription_type: SubscriptionType) -> dict[str, str]:
    return {
        "code": subscription_type.code,
        "name": subscription_type.name,
        "description": subscription_type.description or "",
        "sector_codes": ",".join(subscription_type.sector_codes),
        "all_sectors": "1" if subscription_type.all_sectors else "",
        "duration_months": str(subscription_type.duration_months),
        "price": format_amount(subscription_type.price_cents),
        "vat_rate": format_rate(subscription_type.vat_rate) or DEFAULT_VAT_RATE,
        "renewable": "1" if subscription_type.renewable else "",
        "electric_only": "1" if subscription_type.electric_only else "",
        "active": "1" if subscription_type.active else "",
    }


@router.get("", response_class=HTMLResponse)
async def types_page(request: Request, user: AdminUser, subscriptions: Subscriptions) -> Response:
    types = await subscriptions.all_types()
    return templates.TemplateResponse(
        request, "operator/subscription_types.html", {"types": types, "base": BASE}
    )


@router.get("/nuova", response_class=HTMLResponse)
async def new_type_page(request: Request, user: AdminUser, certification: Certification) -> Response:
    form = FormState(values={"vat_rate": DEFAULT_VAT_RATE, "renewable": "1", "active": "1"})
    return await _form_page(request, certification, form)


@router.post("/nuova", response_class=HTMLResponse)
async def create_type(
    request: Request, user: AdminUser, subscriptions: Subscriptions, certification: Certification
) -> Response:
    form, draft = _draft(await request.form())
    # A new type is offered at once; it is deactivated from its own page.
    form.values["active"] = "1"
    if draft is None:
        return await _form_page(request, certification, form, status_code=422)
    draft.active = True
    created = await submit(form, subscriptions.create_type(draft), LABELS, aliases=ALIASES)
    if not created.ok:
        return await _form_page(request, certification, form, status_code=created.status_code)
    flash(request, f"La tipologia {draft.name} è stata creata.", "success")
    return RedirectResponse(BASE, status_code=303)


@router.get("/{code}", response_class=HTMLResponse)
async def edit_type_page(
    request: Request, user: AdminUser, subscriptions: Subscriptions, certification: Certification, code: str
) -> Response:
    subscription_type = await or_404(subscriptions.subscription_type(code))
    return await _form_page(request, certification, FormState(values=_values(subscription_type)), code=code)


@router.post("/{code}", response_class=HTMLResponse)
async def update_type(
    request: Request, user: AdminUser, subscriptions: Subscriptions, certification: Certification, code: str
) -> Response:
    form, draft = _draft(await request.form())
    form.values["code"] = code
    if draft is None:
        return await _form_page(request, certification, form, code=code, status_code=422)
    updated = await submit(form, subscriptions.update_type(code, draft), LABELS, aliases=ALIASES)
    if not updated.ok:
        if updated.problem and updated.problem.status == 404:
            raise HTTPException(404)
        return await _form_page(request, certification, form, code=code, status_code=updated.status_code)
    state = "" if draft.active else " ed è stata disattivata: i cittadini non la vedono più"
    flash(request, f"La tipologia {draft.name} è stata aggiornata{state}.", "success")
    return RedirectResponse(BASE, status_code=303)
