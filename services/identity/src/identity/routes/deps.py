"""FastAPI dependencies of the identity routes: the typed runtime, and the plain strings that
use cases get from the request (the client's address, the registration token)."""

import base64
import json
import uuid
from typing import Annotated

from fastapi import Depends, Header, Request

from identity.runtime import Runtime
from kit.deps import CurrentUser, runtime_dependency

RuntimeDep = runtime_dependency(Runtime)


def _client_address(request: Request) -> str:
    """The client as uvicorn saw it, X-Forwarded-For applied from the proxies it trusts."""
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
