"""HTTP routes of the identity service (mounted under /api/identity), one module per resource
in ``identity.routes``."""

from fastapi import APIRouter

from identity.routes import admin, auth, jwks, me, password, registrations

router = APIRouter()
for module in (registrations, auth, password, me, admin, jwks):
    router.include_router(module.router)
