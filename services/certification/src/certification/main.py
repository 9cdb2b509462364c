"""Wiring point of the certification service."""

from fastapi import FastAPI

from certification.api import router
from certification.handlers import handlers
from certification.settings import Settings
from kit.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Certificazioni",
        description="Richieste di autocertificazione di residenza per settore e loro esito.",
        routers=[router],
        handlers=handlers,
    )
