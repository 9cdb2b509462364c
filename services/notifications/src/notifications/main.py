"""Wiring point of the notifications service: builds its runtime once and hands it to the app,
the event handlers, the jobs and the mail sender."""

from fastapi import FastAPI

from kit.app import Worker, create_service_app
from kit.db import Database
from notifications.domain.emails import Composer
from notifications.handlers import build_handlers
from notifications.jobs import build_jobs
from notifications.routes import router
from notifications.runtime import Runtime
from notifications.sender import MailSender
from notifications.settings import Settings


def build_runtime(settings: Settings) -> Runtime:
    return Runtime(
        settings=settings,
        db=Database.of(settings),
        composer=Composer(settings.portal_url, support_contact=settings.support_contact),
    )


def build_workers(rt: Runtime) -> list[Worker]:
    """On every replica: the mail sender (replicas never claim the same message)."""
    return [MailSender(rt).run] if rt.settings.run_mail_sender else []


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or build_runtime(settings or Settings())
    return create_service_app(
        rt,
        title="Notifiche",
        description="Modelli e-mail e registro dei messaggi inviati.",
        routers=[router],
        handlers=build_handlers(rt),
        jobs=build_jobs(rt),
        workers=build_workers(rt),
    )
