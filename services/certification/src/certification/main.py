"""Wiring point of the certification service: builds its runtime once and hands it to the app, the
event handlers and the jobs."""

from fastapi import FastAPI

from certification.handlers import build_handlers
from certification.jobs import build_jobs
from certification.models import documents
from certification.routes import router
from certification.runtime import Runtime
from certification.settings import Settings
from kit.app import create_service_app
from kit.clock import Clock, SystemClock
from kit.db import Database
from kit.documents import DatabaseDocumentStore


def build_runtime(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Runtime:
    return Runtime(
        settings=settings,
        db=db or Database.of(settings),
        clock=clock or SystemClock(),
        documents=DatabaseDocumentStore(documents),
    )


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
