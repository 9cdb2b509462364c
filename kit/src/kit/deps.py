"""FastAPI dependency aliases shared by every service."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from kit.auth import Admin, Citizen, CurrentUser, Operator, Principal


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.db.session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(_session)]

__all__ = ["Admin", "Citizen", "CurrentUser", "Operator", "Principal", "SessionDep"]
