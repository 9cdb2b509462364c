"""Queries over the vehicles service's tables (plate association requests, associated plates,
their documents and the citizens read model), shared by its use cases."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import col
from sqlmodel import select as sm_select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from kit.uow import Refusals
from vehicles.domain import errors
from vehicles.domain.vehicles import DocumentField
from vehicles.models import Plate, PlateRequest, PlateRequestDocument, citizens, documents

# What each unique index answers when it refuses a write (``kit.uow.unique_refusals``): the
# index, not a prior read, decides between two requests racing for one plate.
SUBMIT_REFUSALS: Refusals = {"uq_plate_requests_pending_plate": errors.plate_request_pending}
APPROVE_REFUSALS: Refusals = {"uq_plates_active_plate": errors.plate_taken_meanwhile}


async def request_by_id(
    session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False
) -> PlateRequest | None:
    statement = sm_select(PlateRequest).where(PlateRequest.id == request_id)
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


async def pending_request_for(session: AsyncSession, plate: str) -> PlateRequest | None:
    return (
        await session.exec(
            sm_select(PlateRequest).where(PlateRequest.plate == plate, PlateRequest.status == "pending")
        )
    ).first()


async def active_plate(session: AsyncSession, plate: str) -> Plate | None:
    """The association a plate has now, whoever's it is."""
    return (
        await session.exec(sm_select(Plate).where(Plate.plate == plate, col(Plate.dissociated_at).is_(None)))
    ).first()


async def active_plate_of(
    session: AsyncSession, user_id: uuid.UUID, plate_id: uuid.UUID, *, for_update: bool = False
) -> Plate | None:
    statement = sm_select(Plate).where(
        Plate.id == plate_id, Plate.user_id == user_id, col(Plate.dissociated_at).is_(None)
    )
    if for_update:
        statement = statement.with_for_update()
    return (await session.exec(statement)).first()


def requests_of(user_id: uuid.UUID) -> SelectOfScalar[PlateRequest]:
    """A citizen's requests, newest first (a total order: pages neither repeat nor skip)."""
    return (
        sm_select(PlateRequest)
        .where(PlateRequest.user_id == user_id)
        .order_by(col(PlateRequest.submitted_at).desc(), col(PlateRequest.id).desc())
    )


def plates_of(user_id: uuid.UUID) -> SelectOfScalar[Plate]:
    """A citizen's associated plates, most recently associated first."""
    return (
        sm_select(Plate)
        .where(Plate.user_id == user_id, col(Plate.dissociated_at).is_(None))
        .order_by(col(Plate.associated_at).desc(), col(Plate.id).desc())
    )


def requests_for_review(status: str | None, plate: str | None) -> Select[Any]:
    """Requests with their citizen (when the read model has them), oldest first: the
    order in which operators work through them."""
    statement = (
        select(
            PlateRequest,
            citizens.c.first_name,
            citizens.c.last_name,
            citizens.c.tax_code,
            citizens.c.email,
        )
        .outerjoin(citizens, citizens.c.user_id == PlateRequest.user_id)
        .order_by(col(PlateRequest.submitted_at), col(PlateRequest.id))
    )
    if status:
        statement = statement.where(PlateRequest.status == status)
    if plate:
        statement = statement.where(col(PlateRequest.plate).contains(plate, autoescape=True))
    return statement


async def citizen(session: AsyncSession, user_id: uuid.UUID) -> Row[Any] | None:
    return (await session.exec(select(citizens).where(citizens.c.user_id == user_id))).first()


async def documents_of(session: AsyncSession, request_id: uuid.UUID) -> list[Row[Any]]:
    """The metadata of a request's documents (never their content), in the form's order."""
    rows = await session.exec(
        select(
            documents.c.id,
            documents.c.field,
            documents.c.filename,
            documents.c.content_type,
            documents.c.size,
            documents.c.created_at,
            PlateRequestDocument.pages,
        )
        .join(PlateRequestDocument, col(PlateRequestDocument.document_id) == documents.c.id)
        .where(PlateRequestDocument.request_id == request_id)
    )
    order = [field.value for field in DocumentField]
    return sorted(rows.all(), key=lambda row: order.index(row.field) if row.field in order else len(order))


async def is_document_of(session: AsyncSession, request_id: uuid.UUID, document_id: uuid.UUID) -> bool:
    found = await session.get(PlateRequestDocument, document_id)
    return found is not None and found.request_id == request_id
