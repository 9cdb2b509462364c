"""The one page envelope of every list endpoint: ``items``, ``total``, ``limit``, ``offset``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")
R = TypeVar("R")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a list; built from the query string at the edge, plain values below it."""

    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0


async def paginate(
    session: AsyncSession,
    statement: Select[Any],
    page: PageRequest,
    convert: Callable[[Any], R],
) -> Page[R]:
    """One page of ``statement`` (ordered, a ``sqlmodel.select`` of one entity or column) and
    the count of all its rows."""
    total = await session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows: Sequence[Any] = (await session.exec(statement.limit(page.limit).offset(page.offset))).all()
    return Page[R](
        items=[convert(row) for row in rows], total=total or 0, limit=page.limit, offset=page.offset
    )
