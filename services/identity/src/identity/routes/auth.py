"""Login, token refresh and logout (Fase 2)."""

from fastapi import APIRouter, Response, status

from identity import schemas
from identity.routes.deps import ClientAddress, RuntimeDep
from identity.service import auth
from kit.deps import UnitOfWorkDep

router = APIRouter(prefix="/auth", tags=["accesso"])


@router.post("/login", summary="Accedi con email e password")
async def login(
    body: schemas.Login, session: UnitOfWorkDep, rt: RuntimeDep, client_address: ClientAddress
) -> schemas.TokenPair:
    return await auth.login(session, rt, body, client_address=client_address)


@router.post("/refresh", summary="Nuova coppia di token (il refresh token ruota)")
async def refresh(body: schemas.RefreshRequest, session: UnitOfWorkDep, rt: RuntimeDep) -> schemas.TokenPair:
    return await auth.refresh(session, rt, body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Esci (chiude la sessione)")
async def logout(body: schemas.RefreshRequest, session: UnitOfWorkDep, rt: RuntimeDep) -> Response:
    await auth.logout(session, rt, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
