"""Wiring point of the notifications service."""

from fastapi import FastAPI

from kit.app import create_service_app
from notifications.api import router
from notifications.handlers import handlers
from notifications.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        title="Notifiche",
        description="Modelli e-mail e registro dei messaggi inviati.",
        routers=[router],
        handlers=handlers,
    )
