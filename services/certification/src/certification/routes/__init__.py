"""HTTP routes of the certification service (mounted under its gateway prefix), one module per
resource; each route is one call to a use case in ``certification.service``."""

from fastapi import APIRouter

from certification.routes import admin_sectors, forms, requests, review, sectors

router = APIRouter()
for module in (sectors, forms, requests, review, admin_sectors):
    router.include_router(module.router)
