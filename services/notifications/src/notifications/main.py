"""Wiring point of the notifications service."""

from fastapi import FastAPI

from kit.app import create_service_app
from notifications.api import router
from notifications.handlers import build_handlers
from notifications.sender import run_mail_sender
from notifications.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    return create_service_app(
        settings,
        title="Notifiche",
        description="Modelli e-mail e registro dei messaggi inviati.",
        routers=[router],
        handlers=build_handlers(settings),
        background=[run_mail_sender],
    )
