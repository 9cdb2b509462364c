"""Pages with fixed content: the privacy notice, the legal notes, the media policy, the
accessibility pages (the statement in AgID's model); the site's icon; and, through
``routes.ratings``, "Valuta questo servizio"."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from portal.privacy import PRIVACY_UPDATED, PRIVACY_VERSION
from portal.routes import ratings
from portal.templating import STATIC_DIR, templates

router = APIRouter()
router.include_router(ratings.router)

# When the accessibility statement was last drawn up (AgID asks for the date on the page).
STATEMENT_DATE = "30/11/2026"


@router.get("/privacy", response_class=HTMLResponse)
async def privacy(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "pages/privacy.html", {"version": PRIVACY_VERSION, "updated": PRIVACY_UPDATED}
    )


@router.get("/note-legali", response_class=HTMLResponse)
async def legal_notes(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/legal_notes.html")


@router.get("/media-policy", response_class=HTMLResponse)
async def media_policy(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/media_policy.html")


@router.get("/accessibilita", response_class=HTMLResponse)
async def accessibility(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "pages/accessibility.html")


@router.get("/dichiarazione-accessibilita", response_class=HTMLResponse)
async def accessibility_statement(request: Request) -> HTMLResponse:
    site_url = request.app.state.settings.public_base_url
    return templates.TemplateResponse(
        request,
        "pages/accessibility_statement.html",
        {"statement_date": STATEMENT_DATE, "site_url": site_url},
    )


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    """Browsers ask for it on every page of the site that names no icon of its own (the
    sandbox checkout, a document opened in a tab): the portal's icon, not a 404 in the console."""
    return FileResponse(STATIC_DIR / "img" / "favicon.svg", media_type="image/svg+xml")
