"""Wiring point of the billing service."""

from fastapi import FastAPI

from billing.api import router
from billing.handlers import handlers
from billing.settings import Settings
from kit.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Pagamenti",
        description="Ordini di pagamento, pagamenti, ricevute e fatture.",
        routers=[router],
        handlers=handlers,
    )
