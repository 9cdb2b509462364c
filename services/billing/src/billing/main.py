"""Wiring point of the billing service: builds its runtime once and hands it to the app, the
event handlers and the jobs."""

from fastapi import FastAPI

from kit.app import create_service_app
from kit.db import Database
from billing.handlers import build_handlers
from billing.jobs import build_jobs
from billing.routes import router
from billing.runtime import Runtime
from billing.settings import Settings


def build_runtime(settings: Settings) -> Runtime:
    return Runtime(settings=settings, db=Database(settings.database_url))


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or build_runtime(settings or Settings())
    return create_service_app(
        rt,
        title="Pagamenti",
        description="Ordini di pagamento, pagamenti, ricevute e fatture.",
        routers=[router],
        handlers=build_handlers(rt),
        jobs=build_jobs(rt),
    )
