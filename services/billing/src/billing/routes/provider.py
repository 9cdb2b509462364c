"""The provider's signed notifications of payment outcomes (server to server)."""

from typing import Annotated

from fastapi import APIRouter, Header, Request

from billing import schemas
from billing.routes.deps import RuntimeDep
from billing.service import notifications
from kit.deps import UnitOfWorkDep
from kit.problems import problem_responses

router = APIRouter(prefix="/provider", tags=["gestore dei pagamenti"])


@router.post(
    "/notifications",
    summary="Notifica firmata dell'esito di un pagamento",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schemas.ProviderNotificationBody.model_json_schema()}},
        }
    },
    responses=problem_responses(401, 404, 409),
)
async def notification(
    request: Request,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    x_signature: Annotated[str | None, Header(description="t=<unix>,v1=<hmac-sha256 hex>")] = None,
) -> schemas.NotificationAck:
    # The signature covers the body exactly as sent: it is read raw, before any parsing.
    return await notifications.receive(session, rt, await request.body(), x_signature)
