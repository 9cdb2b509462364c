"""HTTP routes of the vehicles service (mounted under /api/vehicles)."""

from fastapi import APIRouter

router = APIRouter()
