"""Pages with fixed content: the privacy notice; and the site's icon."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from portal.privacy import PRIVACY_UPDATED, PRIVACY_VERSION
from portal.templating import STATIC_DIR, templates

router = APIRouter()


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "pages/privacy.html", {"version": PRIVACY_VERSION, "updated": PRIVACY_UPDATED}
    )


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    """Browsers ask for it on every page of the site that names no icon of its own (the
    sandbox checkout, a document opened in a tab): the portal's icon, not a 404 in the console."""
    return FileResponse(STATIC_DIR / "img" / "favicon.svg", media_type="image/svg+xml")
