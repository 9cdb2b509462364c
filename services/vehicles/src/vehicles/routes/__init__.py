"""HTTP routes of the vehicles service (mounted under its gateway prefix), one module per
resource; each route is one call to a use case in ``vehicles.service``."""

from fastapi import APIRouter

router = APIRouter()
