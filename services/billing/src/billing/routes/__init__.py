"""HTTP routes of the billing service (mounted under /api/billing), one module per resource;
each route is one call to a use case in ``billing.service`` (or, for the sandbox's own pages,
to the sandbox provider), in the request's unit of work."""

from fastapi import APIRouter

from billing.routes import admin, invoices, orders, provider, receipts, sandbox

router = APIRouter()
for module in (orders, receipts, invoices, admin, provider, sandbox):
    router.include_router(module.router)
