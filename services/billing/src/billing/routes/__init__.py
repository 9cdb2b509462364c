"""HTTP routes of the billing service (mounted under its gateway prefix), one module per
resource; each route is one call to a use case in ``billing.service``."""

from fastapi import APIRouter

router = APIRouter()
