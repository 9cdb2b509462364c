"""FastAPI dependencies of the identity routes: the typed runtime, and the plain strings that
use cases get from the request (the client's address, the registration token)."""

import base64
import json
import uuid
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import col, select

from identity.models import RefreshToken
from identity.runtime import Runtime
from kit.client_address import verified_address
from kit.deps import CurrentUser, UnitOfWorkDep, runtime_dependency
from kit.errors import Unauthenticated

RuntimeDep = runtime_dependency(Runtime)


def _client_address(request: Request, rt: RuntimeDep) -> str:
    """The browser's address the portal signed for (kit.client_address) when the signature
    holds; else the client as uvicorn saw it, X-Forwarded-For applied only from the proxies it
    trusts (the gateway). An unsigned or forged X-Client-Address is never believed."""
    secret = rt.settings.client_address_secret.get_secret_value().encode()
    if (address := verified_address(request.headers, secret)) is not None:
        return address
    return request.client.host if request.client else "unknown"


def _registration_token(
    x_registration_token: Annotated[str | None, Header()] = None,
) -> str:
    return x_registration_token or ""


def _login_session(request: Request, _user: CurrentUser) -> uuid.UUID | None:
    """The refresh-token family (``sid`` claim) of the access token that made this request, or
    None for a token issued before the claim existed. Read only after ``CurrentUser`` has
    verified that very token, so the claims can be trusted without checking them again."""
    _, _, token = request.headers.get("authorization", "").partition(" ")
    try:
        segment = token.strip().split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        return uuid.UUID(claims["sid"])
    except (IndexError, KeyError, TypeError, ValueError, UnicodeError):
        return None


ClientAddress = Annotated[str, Depends(_client_address)]
RegistrationToken = Annotated[str, Depends(_registration_token)]
LoginSession = Annotated[uuid.UUID | None, Depends(_login_session)]


async def require_live_login(login: LoginSession, session: UnitOfWorkDep) -> None:
    """The login behind the access token has not ended (logout, password reset, e-mail change,
    reuse of a refresh token): each of them revokes its refresh-token family. An access token
    stays cryptographically valid until it expires; identity's own account routes refuse it as
    soon as its login ends, and the portal asks one of them before every page it shows. Tokens
    without a ``sid`` claim (none is issued any more) are judged by their signature alone."""
    if login is None:
        return
    live = await session.exec(
        select(RefreshToken.id)
        .where(col(RefreshToken.family_id) == login, col(RefreshToken.revoked_at).is_(None))
        .limit(1)
    )
    if live.first() is None:
        raise Unauthenticated("session_ended", "La sessione è terminata: accedi di nuovo.")
