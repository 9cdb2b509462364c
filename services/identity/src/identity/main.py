"""Wiring point of the identity service."""

import httpx
from fastapi import FastAPI

from identity.api import router
from identity.handlers import handlers
from identity.jobs import purge_expired_rows, reload_signing_keys
from identity.runtime import Runtime
from identity.settings import Settings
from kit.app import create_service_app
from kit.auth import TokenVerifier


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = Runtime(settings)
    app = create_service_app(
        settings,
        title="Identità",
        description=(
            "Account dei cittadini e degli operatori: registrazione con OTP, accesso, "
            "recupero password, chiavi di firma (JWKS)."
        ),
        routers=[router],
        handlers=handlers,
        on_startup=[runtime.start],
        background=[purge_expired_rows, reload_signing_keys],
    )
    app.state.identity = runtime
    # Identity verifies its own tokens like every other service does, reading its JWKS
    # in-process instead of over the network.
    app.state.verifier = TokenVerifier(
        f"http://identity{settings.api_prefix}/.well-known/jwks.json",
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        cache_s=settings.jwks_cache_s,
        client=httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://identity"),
    )
    return app
