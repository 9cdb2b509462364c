"""HTTP routes of the notifications service (mounted under /api/notifications)."""

from fastapi import APIRouter

router = APIRouter()
