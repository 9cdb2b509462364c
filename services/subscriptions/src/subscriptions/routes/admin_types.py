"""The catalogue of subscription types, for admins."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from kit.deps import Admin, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from kit.problems import problem_responses
from subscriptions import schemas
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import catalogue

router = APIRouter(prefix="/admin/types", tags=["catalogo"])

Code = Annotated[str, Path(max_length=100, description="Codice della tipologia")]


@router.get("", summary="Tutte le tipologie di abbonamento, attive e disattivate")
async def list_types(
    user: Admin,
    session: UnitOfWorkDep,
    page: PageQuery,
    active: Annotated[bool | None, Query(description="Solo attive (true) o disattivate (false)")] = None,
) -> Page[schemas.SubscriptionTypeAdmin]:
    return await catalogue.catalogue(session, page, active=active)


@router.post(
    "", status_code=201, summary="Crea una tipologia di abbonamento", responses=problem_responses(409)
)
async def create_type(
    body: schemas.SubscriptionTypeCreate, user: Admin, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SubscriptionTypeAdmin:
    return await catalogue.create(session, rt, body)


@router.get("/{code}", summary="Una tipologia di abbonamento")
async def get_type(code: Code, user: Admin, session: UnitOfWorkDep) -> schemas.SubscriptionTypeAdmin:
    return await catalogue.get(session, code)


@router.put("/{code}", summary="Modifica una tipologia (nome, settori, durata, prezzo, IVA, stato)")
async def replace_type(
    code: Code, body: schemas.SubscriptionTypeUpdate, user: Admin, session: UnitOfWorkDep, rt: RuntimeDep
) -> schemas.SubscriptionTypeAdmin:
    return await catalogue.replace(session, rt, code, body)
