"""Enforcement (operators): does a valid subscription cover this plate, or this ticket, today?"""

from typing import Annotated

from fastapi import APIRouter, Query

from kit.deps import Operator, UnitOfWorkDep
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import tickets

router = APIRouter(prefix="/admin/enforcement", tags=["controllo"])


@router.get("", summary="Verifica una targa: abbonamento valido oggi, settore e scadenza")
async def check_plate(
    user: Operator,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    plate: Annotated[str, Query(min_length=1, max_length=20, description="La targa, ad esempio AB123CD")],
) -> schemas.EnforcementCheck:
    return await tickets.check_plate(session, rt, plate)


@router.post("/verify", summary="Verifica il codice QR di un contrassegno: firma, abbonamento, validità")
async def verify_ticket(
    body: schemas.TokenVerification, user: Operator, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.EnforcementCheck:
    return await tickets.verify_token(session, rt, body.token)
