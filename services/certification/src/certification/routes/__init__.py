"""HTTP routes of the certification service (mounted under its gateway prefix), one module per
resource; each route is one call to a use case in ``certification.service``."""

from fastapi import APIRouter

router = APIRouter()
