"""Wiring point of the vehicles service: builds its runtime once and hands it to the app, the
event handlers and the jobs."""

from fastapi import FastAPI

from kit.app import create_service_app
from kit.clock import Clock, SystemClock
from kit.db import Database
from kit.documents import DatabaseDocumentStore
from vehicles.handlers import build_handlers
from vehicles.jobs import build_jobs
from vehicles.models import documents
from vehicles.routes import router
from vehicles.runtime import Runtime
from vehicles.settings import Settings


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
        title="Targhe",
        description="Richieste di associazione targa, targhe associate e loro documenti.",
        routers=[router],
        handlers=build_handlers(rt),
        jobs=build_jobs(rt),
    )
