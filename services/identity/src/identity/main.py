"""Wiring point of the identity service."""

from fastapi import FastAPI

from kit.app import create_service_app
from identity.api import router
from identity.handlers import handlers
from identity.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Identità",
        description="Account dei cittadini e degli operatori: registrazione con OTP, accesso, recupero password, chiavi di firma (JWKS).",
        routers=[router],
        handlers=handlers,
    )
