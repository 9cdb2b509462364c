"""Fase 1 of the manual: the home page, from which citizens log in or register."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.templating import templates

router = APIRouter()


# HEAD too: uptime monitors probe the home page without downloading it.
@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "home.html")
