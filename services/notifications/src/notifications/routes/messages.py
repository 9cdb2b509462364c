"""The message log: operators read any citizen's, citizens their own."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import EmailStr

from kit.deps import CurrentUser, Operator, PageQuery, UnitOfWorkDep
from kit.pagination import Page
from notifications.schemas import MessageAdmin, MessagePublic
from notifications.service import messages

router = APIRouter(tags=["messaggi"])


@router.get("/admin/messages", summary="Messaggi inviati a un cittadino (operatori)")
async def operator_log(
    _: Operator,
    session: UnitOfWorkDep,
    page: PageQuery,
    user_id: Annotated[uuid.UUID | None, Query(description="Account del cittadino")] = None,
    email: Annotated[EmailStr | None, Query(description="Indirizzo email del destinatario")] = None,
) -> Page[MessageAdmin]:
    """Newest first; without filters, the latest messages of everyone. The bodies of OTP and
    link messages are never shown."""
    return await messages.operator_log(session, page, user_id=user_id, email=email)


@router.get("/me/messages", summary="I messaggi inviati al mio account")
async def my_messages(user: CurrentUser, session: UnitOfWorkDep, page: PageQuery) -> Page[MessagePublic]:
    return await messages.messages_of_account(session, user.user_id, page)
