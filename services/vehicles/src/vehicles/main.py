"""Wiring point of the vehicles service."""

from fastapi import FastAPI

from kit.app import create_service_app
from vehicles.api import router
from vehicles.handlers import handlers
from vehicles.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Veicoli",
        description="Richieste di associazione targa, documenti e targhe associate.",
        routers=[router],
        handlers=handlers,
    )
