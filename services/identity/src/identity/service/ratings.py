"""The "Valuta questo servizio" answers: left by anyone, read by admins."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import schemas
from identity.models import ServiceRating
from kit.clock import Clock
from kit.pagination import Page, PageRequest, paginate


def _rating_of(row: ServiceRating) -> schemas.Rating:
    return schemas.Rating(
        rating_id=row.id, stars=row.stars, comment=row.comment, page=row.page, created_at=row.created_at
    )


def _blank_to_none(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


async def rate(session: AsyncSession, clock: Clock, body: schemas.RatingCreate) -> schemas.Rating:
    row = ServiceRating(
        stars=body.stars,
        comment=_blank_to_none(body.comment),
        page=_blank_to_none(body.page),
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return _rating_of(row)


async def list_ratings(session: AsyncSession, page: PageRequest) -> Page[schemas.Rating]:
    """Newest first."""
    statement = select(ServiceRating).order_by(col(ServiceRating.created_at).desc(), col(ServiceRating.id))
    return await paginate(session, statement, page, _rating_of)
