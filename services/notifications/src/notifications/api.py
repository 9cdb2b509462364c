"""HTTP routes of the notifications service (mounted under /api/notifications)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import EmailStr

from kit.deps import CurrentUser, Operator, SessionDep
from notifications.repository import find_messages, messages_of_account
from notifications.schemas import MessageAdmin, MessagePublic

router = APIRouter(tags=["messaggi"])

Limit = Annotated[int, Query(ge=1, le=200, description="Numero massimo di messaggi (1–200)")]


@router.get(
    "/admin/messages",
    summary="Messaggi inviati a un cittadino (operatori)",
    response_model=list[MessageAdmin],
)
async def admin_messages(
    _: Operator,
    session: SessionDep,
    user_id: Annotated[uuid.UUID | None, Query(description="Account del cittadino")] = None,
    email: Annotated[EmailStr | None, Query(description="Indirizzo email del destinatario")] = None,
    limit: Limit = 50,
) -> list[MessageAdmin]:
    """Newest first; without filters, the latest messages of everyone. The bodies of OTP and
    link messages are never shown."""
    messages = await find_messages(session, user_id=user_id, email=email, limit=limit)
    return [MessageAdmin.of(m) for m in messages]


@router.get(
    "/me/messages",
    summary="I messaggi inviati al mio account",
    response_model=list[MessagePublic],
)
async def my_messages(user: CurrentUser, session: SessionDep, limit: Limit = 50) -> list[MessagePublic]:
    messages = await messages_of_account(session, user.user_id, limit)
    return [MessagePublic.of(m) for m in messages]
