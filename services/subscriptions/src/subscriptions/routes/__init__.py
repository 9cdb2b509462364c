"""HTTP routes of the subscriptions service (mounted under its gateway prefix), one module per
resource; each route is one call to a use case in ``subscriptions.service``."""

from fastapi import APIRouter

from subscriptions.routes import (
    admin_types,
    enforcement,
    options,
    requests,
    review,
    subscriptions,
    ticket_keys,
    types,
)

router = APIRouter()
for module in (types, options, requests, subscriptions, review, enforcement, admin_types, ticket_keys):
    router.include_router(module.router)
