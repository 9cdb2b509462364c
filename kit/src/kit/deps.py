"""FastAPI dependencies shared by every service: the edge's view of the kit. Nothing below the
routes (use cases, domain, repositories) imports FastAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Admin, Citizen, CurrentUser, Operator, Principal
from kit.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from kit.runtime import ServiceRuntime
from kit.uow import unit_of_work

R = TypeVar("R", bound=ServiceRuntime)


async def _request_unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(request.app.state.runtime.db) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees a
# success whose transaction then failed.
UnitOfWorkDep = Annotated[AsyncSession, Depends(_request_unit_of_work, scope="function")]


def _page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="Elementi per pagina")
    ] = DEFAULT_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Elementi da saltare")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


PageQuery = Annotated[PageRequest, Depends(_page_request)]


def runtime_dependency(kind: type[R]) -> type[R]:
    """``RuntimeDep = runtime_dependency(MyRuntime)`` in a service's ``routes/deps.py``."""

    def get(request: Request) -> R:
        runtime = request.app.state.runtime
        assert isinstance(runtime, kind)
        return runtime

    return Annotated[kind, Depends(get)]  # type: ignore[return-value]


__all__ = [
    "Admin",
    "Citizen",
    "CurrentUser",
    "Operator",
    "PageQuery",
    "Principal",
    "UnitOfWorkDep",
    "runtime_dependency",
]
