"""Wiring point of the identity service: builds its runtime once and hands it to the app, the
jobs and the workers (and, from ``__main__``, to the command line)."""

import httpx
from fastapi import FastAPI

from identity.handlers import build_handlers
from identity.jobs import build_jobs, build_workers
from identity.routes import ratings, router
from identity.runtime import Runtime
from identity.security import Passwords
from identity.settings import Settings
from identity.throttle import LoginThrottler
from identity.tokens import SigningKeys
from kit.app import create_service_app
from kit.auth import TokenVerifier
from kit.clock import Clock, SystemClock
from kit.db import Database


def build_runtime(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    return Runtime(
        settings=settings,
        db=db or Database.of(settings),
        clock=clock,
        passwords=Passwords(settings),
        keys=SigningKeys(settings, clock),
        throttler=LoginThrottler(settings),
    )


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or build_runtime(settings or Settings())
    settings = rt.settings
    app = create_service_app(
        rt,
        title="Identità",
        description=(
            "Account dei cittadini e degli operatori: registrazione con OTP, accesso, "
            "recupero password, chiavi di firma (JWKS)."
        ),
        routers=[router, ratings.router],
        handlers=build_handlers(rt),
        jobs=build_jobs(rt),
        workers=build_workers(rt),
    )
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
