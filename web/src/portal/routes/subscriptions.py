"""Fasi 10–12 and 14 of the manual: "Nuova Richiesta" (the certification held, the plate, a
subscription type its sector allows), "Auto Elettriche" (a plate certified electric), "Paga"
(a checkout at the payment provider, and the page the provider sends the browser back to), the
receipt of a paid subscription and the ticket ("contrassegno") of a subscription.

The pages about one request (paga, esito, ricevuta, fattura) are addressed by the request's id,
as billing knows it; those about one subscription (ticket, rinnova) by the subscription's.

The forms offer only what the citizen has; when something is missing the page says what to do
first, with its link, instead of a form that could only be refused."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode, urlsplit

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.api import UNAVAILABLE_MESSAGE, ApiProblem, Download, ServiceUnavailable
from portal.clients.subscriptions import (
    CertificationOption,
    PlateOption,
    RequestOptions,
    SubscriptionsClient,
    SubscriptionType,
)
from portal.deps import Billing, CitizenUser, Subscriptions
from portal.forms import FormState, form_values, submit
from portal.money import format_euro
from portal.templating import flash, templates

log = structlog.get_logger("portal.subscriptions")

BASE = "/abbonamenti"
router = APIRouter(prefix=BASE)

LABELS = {
    "certification_id": "Tipologia di certificazione",
    "plate_id": "Targa",
    "subscription_type_code": "Tipologia di abbonamento",
}
FIELDS = list(LABELS)
SENT = "La richiesta di abbonamento è stata inviata: riceverai l'esito via email."
DASHBOARD = "/dashboard#abbonamenti"

# What to do first, when the form could only be refused: (what is missing, what to do, link).
NEED_CERTIFICATION = (
    "Non risulta una tua certificazione di residenza valida.",
    "Presenta la richiesta di certificazione: se l'hai già presentata, attendi l'esito (se è stata "
    "appena approvata, riprova tra qualche istante).",
    ("/certificazioni/nuova", "Nuova Certificazione"),
)
NEED_PLATE = (
    "Non risulta nessuna targa associata al tuo profilo.",
    "Presenta la richiesta di associazione della targa: se l'hai già presentata, attendi l'esito.",
    ("/targhe/nuova", "Nuova Targa"),
)
NO_TYPE = (
    "Per il settore della tua certificazione non ci sono al momento tipologie di abbonamento disponibili.",
    "Riprova più avanti o rivolgiti agli uffici del Comune.",
    None,
)
NEED_ELECTRIC_PLATE = (
    "Nessuna delle tue targhe risulta certificata come veicolo elettrico.",
    "Un veicolo è certificato elettrico quando l'operatore approva l'associazione della targa, "
    "in base all'alimentazione indicata nel libretto di circolazione. Se il tuo veicolo è "
    "elettrico e la targa non è ancora associata, presenta la richiesta indicando "
    "l'alimentazione «Elettrica».",
    ("/targhe/nuova", "Nuova Targa"),
)
NO_ELECTRIC_TYPE = (
    "L'abbonamento per auto elettriche non è al momento disponibile.",
    "Per gli altri veicoli puoi presentare una richiesta di abbonamento per il tuo settore.",
    ("/abbonamenti/nuova", "Nuova Richiesta"),
)

# Fase 12: the checkout and the way back from it.
PAYMENT_NOT_READY = (
    "Il pagamento non è ancora disponibile: la richiesta è stata appena approvata. Riprova tra "
    "qualche istante."
)
PAYMENT_UNAVAILABLE = "Il servizio di pagamento non è al momento disponibile: riprova tra qualche minuto."
# ``?esito=`` as the provider returns the browser: level and words.
OUTCOMES = {
    "ok": ("success", "Pagamento completato: l'abbonamento sarà attivo a breve."),
    "annullato": ("warning", "Pagamento annullato: puoi riprovare."),
    "rifiutato": ("danger", "Pagamento non riuscito: puoi riprovare con un altro metodo."),
}
RECEIPT_UNAVAILABLE = "La ricevuta non è al momento disponibile: riprova tra qualche minuto."
TICKET_UNAVAILABLE = "Il ticket non è al momento disponibile: riprova tra qualche minuto."
ASSOCIATED = "/dashboard#abbonamenti-associati"


# --- the forms' choices ------------------------------------------------------------------------


def plate_text(plate: PlateOption) -> str:
    vehicle = " ".join(part for part in (plate.make, plate.model) if part)
    text = f"{plate.plate} – {vehicle}" if vehicle else plate.plate
    return f"{text} (elettrico)" if plate.electric else text


def certification_text(certification: CertificationOption) -> str:
    name = certification.sector_name or certification.sector_code
    if certification.sector_name and certification.sector_code not in certification.sector_name:
        name = f"{certification.sector_name} ({certification.sector_code})"
    if certification.valid_until:
        return f"{name}, valida fino al {certification.valid_until:%d/%m/%Y}"
    return name


def type_text(subscription_type: SubscriptionType) -> str:
    """ "Residenti – annuale: € 60,00 per 12 mesi"."""
    price = format_euro(subscription_type.price_cents) if subscription_type.price_cents else "gratuito"
    months = subscription_type.duration_months
    duration = "1 mese" if months == 1 else f"{months} mesi"
    text = f"{subscription_type.name}: {price} per {duration}"
    return f"{text} (solo auto elettriche)" if subscription_type.electric_only else text


@dataclass(frozen=True)
class Guidance:
    """What stops the citizen from sending the form, and what to do first."""

    problem: str
    advice: str
    link: tuple[str, str] | None


@dataclass(frozen=True)
class RequestChoices:
    certifications: list[tuple[str, str]]
    plates: list[tuple[str, str]]
    # value, text, and the certifications whose sector allows it (the script hides the others).
    types: list[tuple[str, str, dict[str, str]]]
    guidance: list[Guidance]

    def preselect(self, form: FormState) -> None:
        for name, offered in (
            ("certification_id", self.certifications),
            ("plate_id", self.plates),
            ("subscription_type_code", self.types),
        ):
            _only(offered, form, name)

    def explain(self, form: FormState) -> None:
        """Every field the service may name is on the page."""


def request_choices(options: RequestOptions) -> RequestChoices:
    """ "Nuova Richiesta": the valid certifications, the plates, and the types at least one
    certification allows (those for electric cars only with an electric plate)."""
    allowed_by: dict[str, list[str]] = {}
    for certification in options.certifications:
        for subscription_type in options.types_for(certification):
            allowed_by.setdefault(subscription_type.code, []).append(str(certification.certification_id))
    electric = bool(options.electric_plates)
    types = [
        (t.code, type_text(t), {"data-certifications": " ".join(allowed_by[t.code])})
        for t in options.types
        if t.code in allowed_by and (electric or not t.electric_only)
    ]
    guidance = []
    if not options.certifications:
        guidance.append(Guidance(*NEED_CERTIFICATION))
    if not options.plates:
        guidance.append(Guidance(*NEED_PLATE))
    if not guidance and not types:
        guidance.append(Guidance(*NO_TYPE))
    return RequestChoices(
        certifications=[(str(c.certification_id), certification_text(c)) for c in options.certifications],
        plates=[(str(p.plate_id), plate_text(p)) for p in options.plates],
        types=types,
        guidance=guidance,
    )


async def _options(subscriptions: SubscriptionsClient) -> RequestOptions | None:
    try:
        return await subscriptions.options()
    except (ApiProblem, ServiceUnavailable):
        return None


def _only(choices: list, form: FormState, name: str) -> None:
    """A choice with one option is made already (the citizen can still see it)."""
    if len(choices) == 1 and not form.value(name):
        form.values[name] = choices[0][0]


class Choices(Protocol):
    """The choices of a request's form."""

    def preselect(self, form: FormState) -> None:
        """A new form: a choice with one option is made already."""

    def explain(self, form: FormState) -> None:
        """A refused form: the service's messages moved where the page shows them."""


async def _form_page(
    request: Request,
    subscriptions: SubscriptionsClient,
    template: str,
    choose: Callable[[RequestOptions], Choices],
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    """A request's form with the choices made of the citizen's options; without them (the
    service did not answer) the page says so."""
    options = await _options(subscriptions)
    choices = choose(options) if options is not None else None
    if form is None:
        form = FormState()
        if choices is not None:
            choices.preselect(form)
    elif choices is not None:
        choices.explain(form)
    return templates.TemplateResponse(
        request,
        template,
        {"form": form, "labels": LABELS, "choices": choices, "unavailable": UNAVAILABLE_MESSAGE},
        status_code=503 if choices is None else status_code,
    )


def _sent(request: Request) -> Response:
    """To the dashboard, which says that the request was sent."""
    flash(request, SENT, "success", section="abbonamenti")
    return RedirectResponse(DASHBOARD, status_code=303)


# --- "Nuova Richiesta" -----------------------------------------------------------------------


@router.get("/nuova", response_class=HTMLResponse)
async def new_request_page(request: Request, user: CitizenUser, subscriptions: Subscriptions) -> Response:
    return await _form_page(request, subscriptions, "subscriptions/new.html", request_choices)


@router.post("/nuova", response_class=HTMLResponse)
async def new_request(request: Request, user: CitizenUser, subscriptions: Subscriptions) -> Response:
    form = FormState(values=form_values(await request.form(), FIELDS))
    sent = await submit(form, subscriptions.submit_request(**form.values), LABELS)
    if not sent.ok:
        return await _form_page(
            request, subscriptions, "subscriptions/new.html", request_choices, form, sent.status_code
        )
    return _sent(request)


# --- "Auto Elettriche" -----------------------------------------------------------------------


@dataclass(frozen=True)
class ElectricChoices:
    plates: list[tuple[str, str]]
    types: list[SubscriptionType]
    guidance: list[Guidance]

    @property
    def type_options(self) -> list[tuple[str, str]]:
        return [(t.code, type_text(t)) for t in self.types]

    def preselect(self, form: FormState) -> None:
        _only(self.plates, form, "plate_id")

    def explain(self, form: FormState) -> None:
        if len(self.types) <= 1 and "subscription_type_code" in form.errors:
            # No type to choose on the page: what the service says of it belongs to the summary.
            form.general.append(form.errors.pop("subscription_type_code"))


def electric_choices(options: RequestOptions) -> ElectricChoices:
    plates = options.electric_plates
    guidance = []
    if not plates:
        guidance.append(Guidance(*NEED_ELECTRIC_PLATE))
    elif not options.electric_types:
        guidance.append(Guidance(*NO_ELECTRIC_TYPE))
    return ElectricChoices(
        plates=[(str(p.plate_id), plate_text(p)) for p in plates],
        types=options.electric_types,
        guidance=guidance,
    )


@router.get("/auto-elettriche", response_class=HTMLResponse)
async def electric_request_page(
    request: Request, user: CitizenUser, subscriptions: Subscriptions
) -> Response:
    return await _form_page(request, subscriptions, "subscriptions/electric.html", electric_choices)


@router.post("/auto-elettriche", response_class=HTMLResponse)
async def electric_request(request: Request, user: CitizenUser, subscriptions: Subscriptions) -> Response:
    # The type is chosen only when the catalogue offers several (the form then shows it).
    form = FormState(values=form_values(await request.form(), ["plate_id", "subscription_type_code"]))
    sent = await submit(form, subscriptions.submit_electric_request(**form.values), LABELS)
    if not sent.ok:
        return await _form_page(
            request, subscriptions, "subscriptions/electric.html", electric_choices, form, sent.status_code
        )
    return _sent(request)


# --- Fase 12: "Paga" -------------------------------------------------------------------------


def outcome_path(request_id: uuid.UUID) -> str:
    return f"{BASE}/{request_id}/esito"


def _return_url(request: Request, request_id: uuid.UUID) -> str:
    """Where the provider sends the browser back: the portal's public address (the one the
    browser knows, behind the gateway), never the address this process listens on."""
    public = request.app.state.settings.public_base_url.rstrip("/")
    return f"{public}{outcome_path(request_id)}"


@router.post("/{request_id}/paga")
async def pay(request: Request, user: CitizenUser, billing: Billing, request_id: uuid.UUID) -> Response:
    """To the provider's checkout page; if it cannot open, back to the page of the button
    ("da": the outcome page, where a failed payment is retried; else the dashboard)."""
    came_from = (await request.form()).get("da")
    back = outcome_path(request_id) if came_from == "esito" else DASHBOARD
    section = None if came_from == "esito" else "abbonamenti"
    try:
        checkout = await billing.checkout(request_id, _return_url(request, request_id))
    except ServiceUnavailable:
        flash(request, PAYMENT_UNAVAILABLE, "warning", section=section)
        return RedirectResponse(back, status_code=303)
    except ApiProblem as problem:
        if problem.status == 422:
            # The return address refused: the portal's public_base_url and billing's disagree.
            log.error("portal.checkout_refused", code=problem.code, detail=problem.detail)
        message = PAYMENT_NOT_READY if problem.status == 404 else problem.detail
        flash(request, message, "warning", section=section)
        return RedirectResponse(back, status_code=303)
    if urlsplit(checkout.redirect_url).scheme not in ("http", "https"):
        log.error("portal.checkout_unexpected_redirect")
        flash(request, PAYMENT_UNAVAILABLE, "warning", section=section)
        return RedirectResponse(back, status_code=303)
    return RedirectResponse(checkout.redirect_url, status_code=303)


@router.get("/{request_id}/esito", response_class=HTMLResponse)
async def payment_outcome(
    request: Request, user: CitizenUser, billing: Billing, request_id: uuid.UUID, esito: str = ""
) -> Response:
    """What the browser was told (``esito``) and what billing knows: the payment counts only
    once the provider's signed notification has reached billing."""
    try:
        order = await billing.order(request_id)
    except ApiProblem as problem:
        if problem.status in (404, 422):
            raise HTTPException(404) from None
        raise
    except ServiceUnavailable:
        order = None
    outcome = OUTCOMES.get(esito)
    reload_href = outcome_path(request_id) + (f"?{urlencode({'esito': esito})}" if outcome else "")
    waiting = order is not None and not order.paid and (esito == "ok" or order.status == "checkout_started")
    can_retry = (
        order is not None
        and not order.paid
        and order.can_pay is not False
        and order.status != "expired"
        and not (esito == "ok" and order.status == "checkout_started")
    )
    return templates.TemplateResponse(
        request,
        "subscriptions/payment_outcome.html",
        {
            "request_id": request_id,
            "outcome": outcome,
            "order": order,
            "waiting": waiting,
            "can_retry": can_retry,
            "reload_href": reload_href,
        },
    )


# --- Fase 14: the receipt and the ticket ------------------------------------------------------


async def document_or_back(request: Request, fetch: Awaitable[Download], unavailable: str) -> Response:
    """A document of "Abbonamenti Associati" (a PDF, an XML file), streamed from its service
    with its name; when it cannot be had, back to the list with why (the service's words)."""
    try:
        download = await fetch
    except ApiProblem as problem:
        flash(request, problem.detail, "warning", section="abbonamenti-associati")
        return RedirectResponse(ASSOCIATED, status_code=303)
    except ServiceUnavailable:
        flash(request, unavailable, "warning", section="abbonamenti-associati")
        return RedirectResponse(ASSOCIATED, status_code=303)
    return download.as_response()


@router.get("/{request_id}/ricevuta")
async def receipt(request: Request, user: CitizenUser, billing: Billing, request_id: uuid.UUID) -> Response:
    return await document_or_back(request, billing.receipt(request_id), RECEIPT_UNAVAILABLE)


@router.get("/{subscription_id}/ticket")
async def ticket(
    request: Request, user: CitizenUser, subscriptions: Subscriptions, subscription_id: uuid.UUID
) -> Response:
    """The ticket to display in the car (a revoked or ended subscription has none)."""
    return await document_or_back(request, subscriptions.ticket(subscription_id), TICKET_UNAVAILABLE)
