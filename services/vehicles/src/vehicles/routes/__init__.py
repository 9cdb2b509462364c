"""HTTP routes of the vehicles service (mounted under /api/vehicles), one module per resource;
each route is one call to a use case in ``vehicles.service``, in the request's unit of work."""

from fastapi import APIRouter

from vehicles.routes import plates, requests, review

router = APIRouter()
for module in (requests, plates, review):
    router.include_router(module.router)
