"""HTTP routes of the billing service (mounted under /api/billing)."""

from fastapi import APIRouter

router = APIRouter()
