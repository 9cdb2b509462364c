"""The choices of the "Nuova Richiesta" and "Auto Elettriche" forms."""

from fastapi import APIRouter

from kit.deps import Citizen, UnitOfWorkDep
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import requests

router = APIRouter(prefix="/options", tags=["richieste"])


@router.get("", summary="Certificazioni valide, targhe associate e tipologie per il modulo di richiesta")
async def request_options(user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep) -> schemas.RequestOptions:
    return await requests.options(session, rt, user.user_id)
