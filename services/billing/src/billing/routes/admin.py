"""Payments, for operators and admins."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from billing import schemas
from billing.domain.orders import OrderStatus
from billing.routes.deps import RuntimeDep
from billing.service import admin
from kit.deps import Operator, PageQuery, UnitOfWorkDep
from kit.pagination import Page

router = APIRouter(prefix="/admin", tags=["operatori"])

From = Annotated[date | None, Query(alias="from", description="Pagati da questo giorno (incluso)")]
To = Annotated[date | None, Query(alias="to", description="Pagati fino a questo giorno (incluso)")]


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
    responses={200: {"content": {"text/csv": {}}, "description": "I pagamenti del periodo"}},
)
async def export_payments(
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    start: Annotated[date, Query(alias="from", description="Dal giorno (incluso)")],
    end: Annotated[date, Query(alias="to", description="Al giorno (incluso)")],
) -> Response:
    export = await admin.export_payments(session, rt, start, end)
    return Response(
        export.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
