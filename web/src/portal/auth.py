"""Who is logged in, and calls to the services on their behalf.

The encrypted session cookie (portal.sessions; httpOnly, SameSite=Lax, Secure outside
development) holds the identity service's access and refresh tokens. Who is logged in is
never taken from the cookie alone: every request that carries a session asks identity for the
profile behind it first (``portal.deps.load_session_user``), and only then is there a
``current_user`` (with the name the header shows). A cookie copied before logout therefore
opens nothing: identity refuses the ended login and its refresh token. The access token is
refreshed transparently: before a call when it is about to expire, and once more when a
service answers 401 anyway. The pages reach the services through `portal.clients`, whose
calls as the logged-in user go through `user_call` here.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx
import structlog
from starlette.requests import Request

from portal import csrf
from portal.api import ApiProblem, Multipart, call

if TYPE_CHECKING:
    # Annotations only: the clients import this module, a run-time import back would be circular.
    from portal.clients.identity import Profile, TokenPair

log = structlog.get_logger("portal.auth")

SESSION_KEY = "auth"
Role = Literal["citizen", "operator", "admin"]
STAFF_ROLES = frozenset({"operator", "admin"})
# Refresh this long before the access token expires (clock skew, slow calls).
REFRESH_MARGIN_S = 30
# Concurrent requests of one browser carry the same refresh token; identity treats a second
# use as theft and revokes the family. Within one portal process the first refresh is shared.
_REFRESH_REUSE_S = 20.0


@dataclass(frozen=True)
class SessionUser:
    user_id: str
    name: str
    email: str
    role: Role

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def home(self) -> str:
        return "/operatore" if self.is_staff else "/dashboard"


class LoginRequired(Exception):
    """No session, or the identity service no longer accepts it: the citizen logs in again."""

    def __init__(self, message: str = "Accedi per continuare.") -> None:
        super().__init__(message)
        self.message = message


class Forbidden(Exception):
    """Logged in, but this page belongs to another role. ``message`` says whose it is."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "")
        self.message = message


def has_session(request: Request) -> bool:
    """A session with tokens (not yet checked with identity)."""
    data = request.session.get(SESSION_KEY) if "session" in request.scope else None
    return isinstance(data, dict) and bool(data.get("access_token"))


def current_user(request: Request) -> SessionUser | None:
    """The user identity confirmed for this request (``update_profile``), or None."""
    return getattr(request.state, "user", None)


def display_name(profile: Profile, fallback: str) -> str:
    parts = [profile.first_name, profile.last_name]
    name = " ".join(p.strip() for p in parts if p and p.strip())
    return name or fallback


def start_session(request: Request, tokens: TokenPair, *, email: str) -> None:
    """After a successful login: a fresh session (no fixation), a new CSRF token."""
    request.session.clear()
    request.session[SESSION_KEY] = {**_token_fields(tokens), "role": tokens.role, "email": email}
    csrf.rotate(request)


def update_profile(request: Request, profile: Profile) -> SessionUser:
    """Identity answered with the profile of this session's login: the request's user."""
    data = request.session.get(SESSION_KEY)
    if isinstance(data, dict):
        role = profile.role or data.get("role", "citizen")
        data.update(role=role, email=profile.email or data.get("email", ""))
        request.session[SESSION_KEY] = data
    email = profile.email or ""
    role = profile.role if profile.role in ("citizen", "operator", "admin") else "citizen"
    user = SessionUser(
        user_id=str(profile.user_id), name=display_name(profile, email), email=email, role=role
    )
    request.state.user = user
    request.state.profile = profile
    return user


def end_session(request: Request) -> str | None:
    """Forget everything; returns the refresh token so that it can be revoked."""
    data = request.session.get(SESSION_KEY)
    request.session.clear()
    request.state.user = None
    request.state.profile = None
    return data.get("refresh_token") if isinstance(data, dict) else None


def _token_fields(tokens: TokenPair) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "access_expires_at": int(time.time()) + tokens.expires_in,
    }


RefreshCall = Callable[[httpx.AsyncClient, str], Awaitable["TokenPair"]]


class RefreshCoordinator:
    """Shares one refresh among the concurrent requests holding the same refresh token (one
    per application: ``app.state.refresher``). ``refresh`` is identity's call, given by the
    wiring point (app.py)."""

    def __init__(self, refresh: RefreshCall) -> None:
        self._call = refresh
        self._locks: dict[str, asyncio.Lock] = {}
        self._recent: dict[str, tuple[float, TokenPair]] = {}

    async def refresh(self, api: httpx.AsyncClient, refresh_token: str) -> TokenPair:
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            self._prune()
            cached = self._recent.get(key)
            if cached is not None:
                return cached[1]
            tokens = await self._call(api, refresh_token)
            self._recent[key] = (time.monotonic(), tokens)
            return tokens

    def _prune(self) -> None:
        now = time.monotonic()
        self._recent = {k: v for k, v in self._recent.items() if now - v[0] < _REFRESH_REUSE_S}
        idle = [k for k, lock in self._locks.items() if not lock.locked() and k not in self._recent]
        for key in idle:
            del self._locks[key]


async def _refresh(request: Request, api: httpx.AsyncClient) -> str:
    data = request.session.get(SESSION_KEY) or {}
    try:
        refresher: RefreshCoordinator = request.app.state.refresher
        tokens = await refresher.refresh(api, data["refresh_token"])
    except ApiProblem as problem:
        log.info("portal.refresh_refused", code=problem.code)
        request.session.clear()
        raise LoginRequired("La sessione è scaduta: accedi di nuovo.") from None
    data.update(_token_fields(tokens))
    if tokens.role:
        data["role"] = tokens.role
    request.session[SESSION_KEY] = data
    return data["access_token"]


async def user_call(
    request: Request,
    method: str,
    path: str,
    *,
    json: Any = None,
    multipart: Multipart | None = None,
    params: Mapping[str, Any] | None = None,
    stream: bool = False,
) -> httpx.Response:
    """A call to a service as the logged-in user; refreshes the access token when needed."""
    api: httpx.AsyncClient = request.app.state.api
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or not data.get("access_token"):
        raise LoginRequired()

    async def send(token: str) -> httpx.Response:
        return await call(
            api,
            method,
            path,
            json=json,
            multipart=multipart,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            stream=stream,
        )

    token = data["access_token"]
    if int(data.get("access_expires_at", 0)) - REFRESH_MARGIN_S <= time.time():
        token = await _refresh(request, api)
    try:
        return await send(token)
    except ApiProblem as problem:
        if problem.status != 401:
            raise
    token = await _refresh(request, api)
    try:
        return await send(token)
    except ApiProblem as problem:
        if problem.status == 401:
            request.session.clear()
            raise LoginRequired("La sessione è scaduta: accedi di nuovo.") from None
        raise
