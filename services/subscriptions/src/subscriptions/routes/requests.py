"""Citizens' subscription requests: "Nuova Richiesta", "Auto Elettriche", their list and one."""

import uuid

from fastapi import APIRouter

from kit.deps import Citizen, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from kit.problems import problem_responses
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import requests

router = APIRouter(prefix="/requests", tags=["richieste"])


@router.post(
    "",
    status_code=201,
    summary="Invia una richiesta di abbonamento (certificazione, targa, tipologia)",
    responses=problem_responses(409),
)
async def submit_request(
    body: schemas.RequestCreate, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SubscriptionRequest:
    return await requests.submit(
        session,
        rt,
        user,
        certification_id=body.certification_id,
        plate_id=body.plate_id,
        subscription_type_code=body.subscription_type_code,
    )


@router.post(
    "/electric",
    status_code=201,
    summary="Invia una richiesta di abbonamento per auto elettrica",
    responses=problem_responses(409),
)
async def submit_electric_request(
    body: schemas.ElectricRequestCreate, user: Citizen, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SubscriptionRequest:
    return await requests.submit_electric(
        session, rt, user, plate_id=body.plate_id, subscription_type_code=body.subscription_type_code
    )


@router.get("", summary="Le mie richieste di abbonamento, dalla più recente")
async def my_requests(
    user: Citizen, session: UnitOfWorkDep, page: PageQuery
) -> Page[schemas.SubscriptionRequest]:
    return await requests.own(session, user.user_id, page)


@router.get("/{request_id}", summary="Una mia richiesta di abbonamento")
async def my_request(
    request_id: uuid.UUID, user: Citizen, session: UnitOfWorkDep
) -> schemas.SubscriptionRequest:
    return await requests.get_own(session, user.user_id, request_id)
