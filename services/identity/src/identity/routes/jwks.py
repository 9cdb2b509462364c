"""The public keys that verify access tokens."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from identity.routes.deps import RuntimeDep
from kit.deps import UnitOfWorkDep

router = APIRouter(tags=["chiavi"])


@router.get("/.well-known/jwks.json", summary="Chiavi pubbliche (JWKS) dei token di accesso")
async def jwks(session: UnitOfWorkDep, rt: RuntimeDep) -> JSONResponse:
    return JSONResponse(
        await rt.keys.jwks(session),
        headers={"Cache-Control": f"public, max-age={rt.settings.jwks_cache_s}"},
    )
