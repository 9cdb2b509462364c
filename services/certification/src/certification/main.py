"""Wiring point of the certification service: builds its runtime once and hands it to the app, the
event handlers and the jobs."""

from fastapi import FastAPI

from kit.app import create_service_app
from kit.db import Database
from certification.handlers import build_handlers
from certification.jobs import build_jobs
from certification.routes import router
from certification.runtime import Runtime
from certification.settings import Settings


def build_runtime(settings: Settings) -> Runtime:
    return Runtime(settings=settings, db=Database(settings.database_url))


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or build_runtime(settings or Settings())
    return create_service_app(
        rt,
        title="Certificazioni",
        description="Richieste di autocertificazione di residenza per settore e loro esito.",
        routers=[router],
        handlers=build_handlers(rt),
        jobs=build_jobs(rt),
    )
