"""Wiring point of the portal: settings, middleware, static files, pages, error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import Depends, FastAPI

from kit.correlation import CorrelationMiddleware
from kit.logging import configure_logging
from portal.api import BrowserAddressMiddleware, create_api_client
from portal.assets import CachedStaticFiles
from portal.auth import RefreshCoordinator
from portal.clients.identity import refresh_tokens
from portal.csrf import verify_csrf
from portal.deps import load_session_user
from portal.errors import register_error_pages
from portal.routes import (
    auth,
    certifications,
    dashboard,
    health,
    home,
    invoices,
    operator,
    operator_invoices,
    pages,
    password,
    payments,
    plates,
    profile,
    registration,
    renewals,
    review_certifications,
    review_plates,
    review_subscriptions,
    sectors,
    subscription_types,
    subscriptions,
    verification,
)
from portal.security import SecurityHeadersMiddleware
from portal.sessions import EncryptedSessionMiddleware
from portal.settings import PortalSettings
from portal.templating import STATIC_DIR, templates

log = structlog.get_logger("portal")


def create_app(
    settings: PortalSettings | None = None, api_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """``api_transport`` replaces the network under the gateway client (tests fake the gateway
    at the HTTP boundary with httpx.MockTransport)."""
    settings = settings or PortalSettings()
    configure_logging("portal", settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with create_api_client(settings, api_transport) as api:
            app.state.api = api
            yield

    # A citizen-facing site: no OpenAPI pages.
    app = FastAPI(
        title="Portale abbonamenti sosta residenti",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        # Every POST/PUT/PATCH/DELETE of every page must carry the session's CSRF token; every
        # page learns from identity whether the login behind its session is still alive.
        dependencies=[Depends(verify_csrf), Depends(load_session_user)],
        # A redirect to the slash-less path would be built from the request's Host: never.
        redirect_slashes=False,
    )
    app.state.settings = settings
    templates.env.globals["comune"] = settings.comune()
    app.state.refresher = RefreshCoordinator(refresh_tokens)

    if not (STATIC_DIR / "vendor").is_dir():
        log.warning("portal.assets_missing", hint="run `uv run python -m portal assets`")
    # Content-addressed URLs (static_url) are cached for a year; anything else is revalidated.
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(health.router)
    for module in (
        home,
        pages,
        auth,
        registration,
        password,
        dashboard,
        certifications,
        plates,
        subscriptions,
        invoices,
        renewals,
        profile,
        operator,
        review_certifications,
        review_plates,
        review_subscriptions,
        payments,
        operator_invoices,
        verification,
        sectors,
        subscription_types,
    ):
        app.include_router(module.router)
    register_error_pages(app)

    # Added last runs first: the correlation id is bound before anything else logs.
    app.add_middleware(
        EncryptedSessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="portal_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=not settings.is_development,
    )
    app.add_middleware(
        SecurityHeadersMiddleware, form_action_origins=settings.payment_provider_origins.split()
    )
    app.add_middleware(BrowserAddressMiddleware)
    app.add_middleware(CorrelationMiddleware)
    return app
