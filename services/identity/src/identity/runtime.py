"""What the identity service builds once per process and its requests share."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Header, Request

from identity.security import Passwords
from identity.service.throttle import LoginThrottler
from identity.settings import Settings
from identity.tokens import SigningKeys
from kit.db import Database

log = structlog.get_logger(__name__)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.passwords = Passwords(settings)
        self.keys = SigningKeys(settings)
        self.throttler = LoginThrottler(settings)
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the identity runtime is not started")
        return self._db

    def attach(self, db: Database) -> None:
        self._db = db

    async def start(self, app: FastAPI) -> None:
        self.attach(app.state.db)
        try:
            await self.keys.load(self.db)
        except Exception as exc:  # the database may come up later: loaded on first use then
            log.warning("signing_key.load_deferred", error=repr(exc))


def _runtime(request: Request) -> Runtime:
    return request.app.state.identity


def _client_address(request: Request) -> str:
    """The client as uvicorn saw it, X-Forwarded-For applied from the proxies it trusts."""
    return request.client.host if request.client else "unknown"


def _registration_token(
    x_registration_token: Annotated[str | None, Header()] = None,
) -> str:
    return x_registration_token or ""


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
ClientAddress = Annotated[str, Depends(_client_address)]
RegistrationToken = Annotated[str, Depends(_registration_token)]
