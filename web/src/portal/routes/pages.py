"""Pages with fixed content: the privacy notice."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.privacy import PRIVACY_UPDATED, PRIVACY_VERSION
from portal.templating import templates

router = APIRouter()


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "pages/privacy.html", {"version": PRIVACY_VERSION, "updated": PRIVACY_UPDATED}
    )
