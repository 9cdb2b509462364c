"""Wiring point of the billing service: builds its runtime once (with the payment provider)
and hands it to the app, the event handlers, the jobs and the workers."""

import httpx
import structlog
from fastapi import FastAPI

from billing.domain.buyers import is_valid_vat_number
from billing.handlers import build_handlers
from billing.jobs import build_jobs, build_workers
from billing.provider import PaymentProvider, UnconfiguredProvider
from billing.provider.sandbox import Sandbox
from billing.routes import router
from billing.routes.problems import install_problem_handlers
from billing.runtime import Runtime
from billing.settings import Settings
from kit.app import create_service_app
from kit.clock import Clock, SystemClock
from kit.db import Database

log = structlog.get_logger(__name__)


def build_runtime(settings: Settings, *, db: Database | None = None, clock: Clock | None = None) -> Runtime:
    clock = clock or SystemClock()
    db = db or Database.of(settings)
    sandbox = Sandbox(settings, db, clock) if settings.sandbox_active else None
    # Only the sandbox is implemented: a real pagoPA adapter would be chosen here.
    provider: PaymentProvider = sandbox if sandbox is not None else UnconfiguredProvider()
    if not (
        is_valid_vat_number(settings.seller_vat_number) and is_valid_vat_number(settings.creditor_tax_code)
    ):
        # SDI would refuse every invoice: the example identifiers were not replaced.
        log.warning(
            "invoice.seller_identifiers_fail_check_digit",
            vat_number=settings.seller_vat_number,
            tax_code=settings.creditor_tax_code,
        )
    return Runtime(settings=settings, db=db, clock=clock, provider=provider, sandbox=sandbox)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    rt = runtime or build_runtime(settings or Settings())
    settings = rt.settings
    app = create_service_app(
        rt,
        title="Pagamenti",
        description=(
            "Ordini di pagamento (avvisi pagoPA), pagamenti con il gestore, ricevute; "
            "sandbox del gestore dei pagamenti fuori produzione."
        ),
        routers=[router],
        handlers=build_handlers(rt),
        jobs=build_jobs(rt),
        workers=build_workers(rt),
    )
    install_problem_handlers(app)
    if rt.sandbox is not None and rt.sandbox.client is None:
        # The sandbox posts its notifications to billing's own endpoint: over the network in
        # a local run, in-process where configured (tests).
        transport = httpx.ASGITransport(app=app) if settings.sandbox_notify_in_process else None
        rt.sandbox.client = httpx.AsyncClient(
            transport=transport,
            base_url=settings.sandbox_notify_base,
            timeout=settings.sandbox_notify_timeout_s,
        )
    return app
