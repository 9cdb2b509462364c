"""The gateway's check of the browser's address the portal vouches for (kit.client_address).

Traefik's forwardAuth asks this before the per-citizen rate limit of the authentication
routes (deploy/traefik/dynamic.yml, deploy/k8s/base/gateway.yaml): only a valid, recent
signature lets a request be counted by its X-Client-Address, so nobody can spend another
citizen's budget or pick a fresh bucket per request. No database: it answers in microseconds.
"""

from fastapi import APIRouter, Request, Response, status

from identity.routes.deps import RuntimeDep
from kit.client_address import verified_address
from kit.errors import Forbidden
from kit.problems import problem_responses

router = APIRouter(tags=["indirizzo del cittadino"])


@router.get(
    "/client-address",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Verifica l'indirizzo del cittadino firmato dal portale",
    responses=problem_responses(403),  # no signature, a forged or stale one
)
async def check_client_address(request: Request, rt: RuntimeDep) -> Response:
    secret = rt.settings.client_address_secret.get_secret_value().encode()
    if verified_address(request.headers, secret) is None:
        raise Forbidden(
            "client_address_not_attested",
            "La richiesta dichiara per conto di chi è fatta senza una firma valida.",
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
