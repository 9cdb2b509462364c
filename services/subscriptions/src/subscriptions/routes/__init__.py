"""HTTP routes of the subscriptions service (mounted under its gateway prefix), one module per
resource; each route is one call to a use case in ``subscriptions.service``."""

from fastapi import APIRouter

router = APIRouter()
