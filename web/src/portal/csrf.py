"""CSRF protection: one random token per browser session, kept in the signed session cookie
and repeated in a hidden field of every form (or the X-CSRF-Token header, for htmx).

The check is an application-wide dependency: every POST/PUT/PATCH/DELETE route is covered
without having to remember it.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

SESSION_KEY = "csrf"
FORM_FIELD = "csrf_token"
HEADER = "x-csrf-token"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfError(Exception):
    """The form did not carry this session's token: it is refused, never acted on."""


def csrf_token(request: Request) -> str:
    """This session's token, created on first use (pages without forms set no cookie)."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def rotate(request: Request) -> None:
    """A new token when the privilege changes (login): a token seen before is worthless."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)


async def verify_csrf(request: Request) -> None:
    if request.method not in _UNSAFE:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            # Cached by Starlette: the route reads the same parsed form afterwards.
            value = (await request.form()).get(FORM_FIELD)
            sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and sent and hmac.compare_digest(expected, sent)):
        raise CsrfError
