"""HTTP routes of the certification service (mounted under /api/certifications)."""

from fastapi import APIRouter

router = APIRouter()
