"""Probes for the process supervisor and Kubernetes."""

from fastapi import APIRouter

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready() -> dict[str, str]:
    # Pages render without any service; each page reports an unreachable API by itself.
    return {"status": "ok"}
