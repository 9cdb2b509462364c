"""Jinja2 templates of the portal and the one-shot messages shown on the next page."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from starlette.requests import Request

from portal.assets import STATIC_DIR as STATIC_DIR
from portal.assets import StaticUrl, static_url
from portal.auth import current_user
from portal.csrf import csrf_token
from portal.money import format_euro, format_rate
from portal.settings import PortalSettings
from portal.statuses import status_tone, status_words

PACKAGE_DIR = Path(__file__).parent

Level = Literal["success", "info", "warning", "danger"]
_FLASH_KEY = "_messages"


def flash(request: Request, text: str, level: Level = "info", *, section: str | None = None) -> None:
    """Queue a message for the next page rendered for this browser (after a redirect).
    ``section``: the id of the part of that page it is about (the dashboard shows it there)."""
    message = {"level": level, "text": text}
    if section:
        message["section"] = section
    request.session.setdefault(_FLASH_KEY, []).append(message)


def _pop_messages(request: Request) -> dict[str, Any]:
    # Error pages are rendered outside the session middleware: no session there.
    if "session" not in request.scope:
        return {"messages": []}
    return {"messages": request.session.pop(_FLASH_KEY, [])}


def _session_context(request: Request) -> dict[str, Any]:
    """`session_user` for the header; `csrf_token()` for every form (creates the token lazily,
    so pages without a form set no cookie)."""
    if "session" not in request.scope:
        return {"session_user": None, "csrf_token": lambda: ""}
    # Only the user identity confirmed for this request (portal.deps.load_session_user).
    return {"session_user": current_user(request), "csrf_token": lambda: csrf_token(request)}


templates = Jinja2Templates(
    directory=PACKAGE_DIR / "templates", context_processors=[_pop_messages, _session_context]
)
templates.env.globals["static_url"] = static_url
templates.env.globals["sprites"] = StaticUrl("vendor/svg/sprites.svg")


# The Comune's details: the defaults until create_app sets those of its settings.
templates.env.globals["comune"] = PortalSettings.model_construct().comune()
templates.env.globals["status_words"] = status_words
templates.env.globals["status_tone"] = status_tone


ROME = ZoneInfo("Europe/Rome")


def _date_it(value: Any) -> str:
    """2026-03-01 (a date, or an ISO date-time) → 01/03/2026; an instant is dated in Caserta
    (23:30 UTC on 1 March is already the 2nd there); anything else unchanged."""
    if isinstance(value, datetime):
        return (value.astimezone(ROME) if value.tzinfo else value).strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    text = str(value or "")
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


templates.env.filters["date_it"] = _date_it


def _datetime_it(value: Any) -> str:
    """An instant as read in Caserta: 01/03/2026 10:30."""
    if isinstance(value, datetime):
        return (value.astimezone(ROME) if value.tzinfo else value).strftime("%d/%m/%Y %H:%M")
    return _date_it(value)


def _size_it(value: Any) -> str:
    """A file's size in bytes as people read it: 850 KB, 1,3 MB."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    if size < 1000 * 1000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / (1000 * 1000):.1f} MB".replace(".", ",")


templates.env.filters["datetime_it"] = _datetime_it
templates.env.filters["size_it"] = _size_it
templates.env.filters["euro"] = format_euro
templates.env.filters["rate_it"] = format_rate


# --- the frame around every page (macros/frame.html) ------------------------------------------

# The citizen's path, as the home page and the manual tell it.
JOURNEY_STEPS = (
    "Registrazione",
    "Certificazione di residenza",
    "Associazione targa",
    "Abbonamento",
    "Pagamento",
)
# Breadcrumb: the section a page belongs to, by the start of its path.
_SECTIONS = (
    ("/certificazioni/", ("Area personale", "/dashboard")),
    ("/targhe/", ("Area personale", "/dashboard")),
    ("/abbonamenti/", ("Area personale", "/dashboard")),
    ("/operatore/", ("Console operatore", "/operatore")),
    ("/password/", ("Accedi", "/login")),
    ("/registrazione/", ("Registrazione", "/registrazione")),
)


def breadcrumb_parent_of(path: str, user: Any = None) -> tuple[str, str] | None:
    """(label, href) between Home and the page at ``path``, or None when the page hangs from
    Home. Staff see the operators' pages under their console."""
    for prefix, parent in _SECTIONS:
        if path.startswith(prefix):
            if parent[1] == "/dashboard" and user is not None and getattr(user, "is_staff", False):
                return ("Console operatore", "/operatore")
            return parent
    return None


def journey_step_of(sections: Any, plates: Any, subscriptions: Any) -> int:
    """The citizen's step (JOURNEY_STEPS, 1-based; 6: all done) from what the dashboard lists:
    ``sections`` (certification, plate and subscription requests, each a page or None),
    ``plates`` and ``subscriptions`` (pages or None)."""

    def statuses(page: Any) -> set[str]:
        return {item.status for item in page.items} if page else set()

    certification, _plate_requests, subscription_requests = (section.requests for section in sections)
    if subscriptions and subscriptions.items:
        return 6
    if "approved" in statuses(subscription_requests):
        return 5
    if plates and plates.items:
        return 4
    if "approved" in statuses(certification):
        return 3
    return 2


templates.env.globals["journey_steps"] = JOURNEY_STEPS
templates.env.globals["breadcrumb_parent_of"] = breadcrumb_parent_of
templates.env.globals["journey_step_of"] = journey_step_of
