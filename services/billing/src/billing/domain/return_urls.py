"""Where the checkout may send the citizen back: only to the portal (no open redirect)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from kit.errors import FieldError, Invalid

MAX_LENGTH = 2000


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` in lower case, the default port left out."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}"


def _refused(message: str) -> Invalid:
    return Invalid([FieldError("return_url", "return_url_not_allowed", message)])


def check_return_url(url: str, allowed_origin: str) -> str:
    """``url`` when it is an absolute http(s) address on ``allowed_origin``; ``Invalid`` otherwise."""
    message = "L'indirizzo di ritorno deve essere una pagina del portale."
    if not url or len(url) > MAX_LENGTH or any(ord(c) < 33 or ord(c) == 127 for c in url) or "\\" in url:
        raise _refused(message)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise _refused(message) from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username
        or parts.password
    ):
        raise _refused(message)
    if origin_of(url) != origin_of(allowed_origin):
        raise _refused(message)
    return url


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query string (replacing ones of the same name)."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] not in params]
    query = "&".join([*kept, urlencode(params)]) if params else parts.query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
