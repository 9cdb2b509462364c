"""HTTP routes of the identity service (mounted under /api/identity), one module per resource;
each route is one call to a use case in ``identity.service``, in the request's unit of work."""

from fastapi import APIRouter, Depends

from identity.routes import admin, auth, client_address, jwks, me, password, registrations
from identity.routes.deps import require_live_login
from kit.problems import problem_responses

router = APIRouter()
# The gateway rate-limits these per client address (gateway/dynamic.yml.j2): 429 on each.
router.include_router(registrations.router, responses=problem_responses(429))
router.include_router(auth.router, responses=problem_responses(401, 429))
router.include_router(password.router, responses=problem_responses(429))
router.include_router(jwks.router)
router.include_router(client_address.router)  # the gateway's forwardAuth check
# The account's own data and the operators' console: only while the login is alive.
for module in (me, admin):
    router.include_router(module.router, dependencies=[Depends(require_live_login)])
