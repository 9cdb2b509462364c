"""Wiring point of the subscriptions service."""

from fastapi import FastAPI

from kit.app import create_service_app
from subscriptions.api import router
from subscriptions.handlers import handlers
from subscriptions.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Abbonamenti",
        description="Tipologie e tariffe, richieste di abbonamento, abbonamenti, ticket e rinnovi.",
        routers=[router],
        handlers=handlers,
    )
