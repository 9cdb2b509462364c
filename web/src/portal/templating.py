"""Jinja2 templates of the portal and the one-shot messages shown on the next page."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

PACKAGE_DIR = Path(__file__).parent
STATIC_DIR = PACKAGE_DIR / "static"

Level = Literal["success", "info", "warning", "danger"]
_FLASH_KEY = "_messages"


def flash(request: Request, text: str, level: Level = "info") -> None:
    """Queue a message for the next page rendered for this browser (after a redirect)."""
    request.session.setdefault(_FLASH_KEY, []).append({"level": level, "text": text})


def _pop_messages(request: Request) -> dict[str, Any]:
    # Error pages are rendered outside the session middleware: no session there.
    if "session" not in request.scope:
        return {"messages": []}
    return {"messages": request.session.pop(_FLASH_KEY, [])}


templates = Jinja2Templates(directory=PACKAGE_DIR / "templates", context_processors=[_pop_messages])
templates.env.globals["sprites"] = "/static/vendor/svg/sprites.svg"
