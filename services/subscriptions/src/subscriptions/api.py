"""HTTP routes of the subscriptions service (mounted under /api/subscriptions)."""

from fastapi import APIRouter

router = APIRouter()
