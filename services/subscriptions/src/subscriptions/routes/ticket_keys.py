"""The public keys that verify tickets' QR codes offline (public: enforcement devices fetch it)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from kit.deps import UnitOfWorkDep
from subscriptions.routes.deps import RuntimeDep
from subscriptions.service import tickets

router = APIRouter(tags=["contrassegni"])


@router.get(
    "/.well-known/ticket-keys.json", summary="Chiavi pubbliche (Ed25519) che verificano i contrassegni"
)
async def ticket_keys(session: UnitOfWorkDep, rt: RuntimeDep) -> JSONResponse:
    return JSONResponse(
        await tickets.keys_document(session, rt),
        headers={"Cache-Control": f"public, max-age={rt.settings.ticket_keys_cache_s}"},
    )
