"""Invoices of paid subscriptions: the citizen asks for one (within 10 days of payment) through
the prefilled form; the citizen and operators download its PDF and its FatturaPA XML."""

import uuid

from fastapi import APIRouter, Response, status

from billing import schemas
from billing.routes.deps import RuntimeDep
from billing.routes.downloads import document_responses, download
from billing.service import invoices
from kit.deps import Citizen, CurrentUser, UnitOfWorkDep
from kit.problems import problem_responses

router = APIRouter(prefix="/invoices", tags=["fatture"])


@router.get("/{request_id}/form", summary="Richiedi fattura: se è possibile e i dati già noti")
async def invoice_form(
    request_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.InvoiceForm:
    return await invoices.invoice_form(session, rt, user.user_id, request_id)


@router.post(
    "/{request_id}",
    status_code=status.HTTP_201_CREATED,
    summary="Richiedi la fattura di un abbonamento pagato",
    responses=problem_responses(409),
)
async def request_invoice(
    request_id: uuid.UUID,
    body: schemas.InvoiceRequest,
    user: Citizen,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
) -> schemas.Invoice:
    return await invoices.request_invoice(session, rt, user.user_id, request_id, body.model_dump())


@router.get("/{request_id}", summary="La fattura di un abbonamento")
async def invoice(request_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep) -> schemas.Invoice:
    return await invoices.get_invoice(session, user, request_id)


@router.get(
    "/{request_id}/pdf",
    summary="La fattura (PDF, copia di cortesia)",
    response_class=Response,
    responses=document_responses("application/pdf", "La fattura in PDF"),
)
async def invoice_pdf(request_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep) -> Response:
    document = await invoices.invoice_pdf_document(session, user, request_id)
    return download(document.content, document.media_type, document.filename)


@router.get(
    "/{request_id}/xml",
    summary="La fattura elettronica (XML FatturaPA)",
    response_class=Response,
    responses=document_responses("application/xml", "Il file FatturaPA"),
)
async def invoice_xml(request_id: uuid.UUID, user: CurrentUser, session: UnitOfWorkDep) -> Response:
    document = await invoices.invoice_xml_document(session, user, request_id)
    return download(document.content, document.media_type, document.filename)
