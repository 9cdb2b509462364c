"""Wiring point of the subscriptions service: builds its runtime once and hands it to the app, the
event handlers and the jobs."""

from fastapi import FastAPI

from kit.app import create_service_app
from kit.clock import Clock, SystemClock
from kit.db import Database
from subscriptions.handlers import build_handlers
from subscriptions.jobs import build_jobs
from subscriptions.routes import router
from subscriptions.runtime import Runtime
from subscriptions.settings import Settings
from subscriptions.ticket_keys import TicketKeys


def build_runtime(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    return Runtime(
        settings=settings,
        db=db or Database.of(settings),
        clock=clock,
        ticket_keys=TicketKeys(settings, clock),
    )


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or build_runtime(settings or Settings())
    return create_service_app(
        rt,
        title="Abbonamenti",
        description="Tipologie e tariffe, richieste di abbonamento, abbonamenti, ticket e rinnovi.",
        routers=[router],
        handlers=build_handlers(rt),
        jobs=build_jobs(rt),
    )
