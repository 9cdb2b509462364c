"""Fase 14 of the manual: "Richiedi fattura" within 10 days of the payment ("Per la richiesta
fattura è necessario compilare i dati mancanti nel seguente form"): the form prefilled with the
billing data billing knows of the citizen, sent to billing, which issues the invoice at once;
then its PDF and its FatturaPA XML, streamed from billing. Addressed by the subscription
request's id, as billing knows it."""

from __future__ import annotations

import asyncio
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.api import ApiProblem, ServiceUnavailable
from portal.clients.billing import BillingClient, Buyer, BuyerDetails, InvoiceForm, Order
from portal.deps import Billing, CitizenUser
from portal.forms import FormState, form_values, submit
from portal.review import or_404
from portal.routes.subscriptions import ASSOCIATED, document_or_back
from portal.templating import flash, templates

router = APIRouter(prefix="/abbonamenti")

PERSON, COMPANY = "person", "company"
KINDS = [(PERSON, "Persona fisica"), (COMPANY, "Società o ente")]
LABELS = {
    "kind": "Intestatario",
    "first_name": "Nome",
    "last_name": "Cognome",
    "tax_code": "Codice fiscale",
    "person_vat_number": "Partita IVA (facoltativa)",
    "company_name": "Ragione sociale",
    "vat_number": "Partita IVA",
    "company_tax_code": "Codice fiscale della società",
    "address_street": "Indirizzo",
    "address_number": "Numero civico",
    "postcode": "CAP",
    "municipality": "Comune",
    "province": "Provincia",
    "country": "Nazione",
    "pec": "PEC",
    "recipient_code": "Codice destinatario",
}
FIELDS = list(LABELS)
# The fields of the address and of the delivery, the same whoever the invoice is made out to.
COMMON = ["address_street", "address_number", "postcode", "municipality", "province", "country"]
DELIVERY = ["pec", "recipient_code"]
# The fields billing names alike for both have one of their own for each: a person's partita
# IVA (a professional's, optional), a company's codice fiscale (optional).
ALIASES = {PERSON: {"vat_number": "person_vat_number"}, COMPANY: {"tax_code": "company_tax_code"}}

ISSUED = "Fattura n. {number} emessa: la trovi in Abbonamenti Associati e ti è stata inviata per email."
ALREADY_ISSUED = "invoice_already_issued"
INVOICE_UNAVAILABLE = "La fattura non è al momento disponibile: riprova tra qualche minuto."


def _values(buyer: Buyer) -> dict[str, str]:
    """The form as billing prefills it."""
    known = buyer.model_dump()
    values = {name: str(known.get(name) or "") for name in FIELDS if name in known}
    values["kind"] = COMPANY if buyer.kind == COMPANY else PERSON
    for billing_name, own in ALIASES[values["kind"]].items():
        values[own], values[billing_name] = values.get(billing_name, ""), ""
    values["country"] = values.get("country") or "IT"
    return values


def buyer_details(values: dict[str, str]) -> BuyerDetails:
    """What the citizen typed, for whom they chose: a person's name, codice fiscale and
    (optional) partita IVA, or a company's name, partita IVA and (optional) codice fiscale; the
    other's fields are not sent."""
    kind = values.get("kind", "")
    if kind == COMPANY:
        own = {
            "company_name": values["company_name"],
            "vat_number": values["vat_number"],
            "tax_code": values["company_tax_code"],
        }
    else:
        own = {name: values[name] for name in ("first_name", "last_name", "tax_code")}
        own["vat_number"] = values["person_vat_number"]
    common = {name: values[name] for name in COMMON + DELIVERY}
    return BuyerDetails(kind=kind, **own, **common)


async def _order(billing: BillingClient, request_id: uuid.UUID) -> Order | None:
    """The order the invoice is of (what was paid, when): the page says it when billing does."""
    try:
        return await billing.order(request_id)
    except (ApiProblem, ServiceUnavailable):
        return None


def _page(
    request: Request,
    request_id: uuid.UUID,
    form: FormState,
    *,
    order: Order | None,
    info: InvoiceForm | None = None,
    refusal: ApiProblem | None = None,
    status_code: int = 200,
) -> Response:
    """The form, or why the invoice cannot be asked for (``info``'s reason, or billing's refusal
    of the form just sent): the window closed, or the invoice already issued (then its files)."""
    reason_code = refusal.code if refusal else (info.reason_code if info and not info.eligible else None)
    reason = refusal.detail if refusal else (info.reason_if_not if info and not info.eligible else None)
    deadline = (info.deadline if info else None) or (order.invoice_deadline if order else None)
    return templates.TemplateResponse(
        request,
        "subscriptions/invoice.html",
        {
            "request_id": request_id,
            "form": form,
            "labels": LABELS,
            "kinds": KINDS,
            "order": order,
            "deadline": deadline,
            "closed": reason is not None,
            "reason": reason,
            "issued": reason_code == ALREADY_ISSUED or bool(order and order.invoice_available),
        },
        status_code=status_code,
    )


@router.get("/{request_id}/fattura", response_class=HTMLResponse)
async def invoice_page(
    request: Request, user: CitizenUser, billing: Billing, request_id: uuid.UUID
) -> Response:
    info, order = await asyncio.gather(or_404(billing.invoice_form(request_id)), _order(billing, request_id))
    return _page(request, request_id, FormState(values=_values(info.buyer)), order=order, info=info)


def _window_refusal(problem: ApiProblem, form: FormState) -> bool:
    """Not paid, already issued, past the window: the page says so instead of the form."""
    return problem.status == 409


@router.post("/{request_id}/fattura", response_class=HTMLResponse)
async def request_invoice(
    request: Request, user: CitizenUser, billing: Billing, request_id: uuid.UUID
) -> Response:
    form = FormState(values=form_values(await request.form(), FIELDS))
    aliases = ALIASES[COMPANY if form.value("kind") == COMPANY else PERSON]
    sent = await submit(
        form,
        billing.request_invoice(request_id, buyer_details(form.values)),
        FIELDS,
        aliases=aliases,
        explain=_window_refusal,
    )
    if sent.ok:
        flash(request, ISSUED.format(number=sent.result.number), "success", section="abbonamenti-associati")
        return RedirectResponse(ASSOCIATED, status_code=303)
    if sent.problem is not None and sent.problem.status == 404:
        # Not an order of the citizen's: nothing to invoice.
        raise HTTPException(404)
    refusal = sent.problem if sent.problem is not None and sent.problem.status == 409 else None
    order = await _order(billing, request_id)
    return _page(request, request_id, form, order=order, refusal=refusal, status_code=sent.status_code)


@router.get("/{request_id}/fattura/pdf")
async def invoice_pdf(
    request: Request, user: CitizenUser, billing: Billing, request_id: uuid.UUID
) -> Response:
    return await document_or_back(request, billing.invoice_pdf(request_id), INVOICE_UNAVAILABLE)


@router.get("/{request_id}/fattura/xml")
async def invoice_xml(
    request: Request, user: CitizenUser, billing: Billing, request_id: uuid.UUID
) -> Response:
    return await document_or_back(request, billing.invoice_xml(request_id), INVOICE_UNAVAILABLE)
