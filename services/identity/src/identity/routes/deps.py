"""FastAPI dependencies of the identity routes: the typed runtime, and the plain strings that
use cases get from the request (the client's address, the registration token)."""

from typing import Annotated

from fastapi import Depends, Header, Request

from identity.runtime import Runtime
from kit.deps import runtime_dependency

RuntimeDep = runtime_dependency(Runtime)


def _client_address(request: Request) -> str:
    """The client as uvicorn saw it, X-Forwarded-For applied from the proxies it trusts."""
    return request.client.host if request.client else "unknown"


def _registration_token(
    x_registration_token: Annotated[str | None, Header()] = None,
) -> str:
    return x_registration_token or ""


ClientAddress = Annotated[str, Depends(_client_address)]
RegistrationToken = Annotated[str, Depends(_registration_token)]
