"""Payments and invoices, for operators and admins."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from billing import schemas
from billing.domain.orders import OrderStatus
from billing.routes.deps import RuntimeDep
from billing.routes.downloads import document_responses, download
from billing.service import admin
from kit.deps import Operator, PageQuery, UnitOfWorkDep
from kit.pagination import Page

router = APIRouter(prefix="/admin", tags=["operatori"])

From = Annotated[date | None, Query(alias="from", description="Dal giorno (incluso)")]
To = Annotated[date | None, Query(alias="to", description="Al giorno (incluso)")]
PeriodStart = Annotated[date, Query(alias="from", description="Dal giorno (incluso)")]
PeriodEnd = Annotated[date, Query(alias="to", description="Al giorno (incluso)")]


@router.get("/payments", summary="Pagamenti per cittadino o per periodo")
async def list_payments(
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    page: PageQuery,
    user_id: uuid.UUID | None = None,
    start: From = None,
    end: To = None,
    status: OrderStatus | None = None,
) -> Page[schemas.AdminPayment]:
    return await admin.list_payments(session, rt, page, user_id=user_id, start=start, end=end, status=status)


@router.get(
    "/payments.csv",
    summary="Esporta i pagamenti di un periodo (CSV per foglio di calcolo)",
    response_class=Response,
    responses=document_responses("text/csv", "I pagamenti del periodo"),
)
async def export_payments(
    user: Operator, session: UnitOfWorkDep, rt: RuntimeDep, start: PeriodStart, end: PeriodEnd
) -> Response:
    export = await admin.export_payments(session, rt, start, end)
    return download(export.content, "text/csv; charset=utf-8", export.filename)


@router.get("/invoices", summary="Fatture per cittadino o per periodo di emissione")
async def list_invoices(
    user: Operator,
    session: UnitOfWorkDep,
    page: PageQuery,
    user_id: uuid.UUID | None = None,
    start: From = None,
    end: To = None,
) -> Page[schemas.AdminInvoice]:
    return await admin.list_invoices(session, page, user_id=user_id, start=start, end=end)


@router.get(
    "/invoices.csv",
    summary="Esporta le fatture di un periodo (CSV per foglio di calcolo)",
    response_class=Response,
    responses=document_responses("text/csv", "Le fatture del periodo"),
)
async def export_invoices(
    user: Operator, session: UnitOfWorkDep, start: PeriodStart, end: PeriodEnd
) -> Response:
    export = await admin.export_invoices(session, start, end)
    return download(export.content, "text/csv; charset=utf-8", export.filename)


@router.get(
    "/invoices.zip",
    summary="I file XML FatturaPA delle fatture di un periodo (ZIP, al massimo un anno)",
    response_class=Response,
    responses=document_responses("application/zip", "I file XML del periodo, con i nomi attesi da SDI"),
)
async def export_invoice_files(
    user: Operator, session: UnitOfWorkDep, start: PeriodStart, end: PeriodEnd
) -> Response:
    export = await admin.export_invoice_files(session, start, end)
    return download(export.content, "application/zip", export.filename)
