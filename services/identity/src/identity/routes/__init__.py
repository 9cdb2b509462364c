"""HTTP routes of the identity service (mounted under /api/identity), one module per resource;
each route is one call to a use case in ``identity.service``, in the request's unit of work."""

from fastapi import APIRouter

from identity.routes import admin, auth, jwks, me, password, registrations

router = APIRouter()
for module in (registrations, auth, password, me, admin, jwks):
    router.include_router(module.router)
