"""HTTP routes of the notifications service (mounted under its gateway prefix), one module per
resource; each route is one call to a use case in ``notifications.service``."""

from fastapi import APIRouter

from notifications.routes import messages

router = APIRouter()
router.include_router(messages.router)
