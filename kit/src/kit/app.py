"""The application factory every service is built with: lifespan (broker, outbox relay,
consumer, job scheduler, the service's own workers), health, metrics, correlation ids, problem
responses, the input guard (kit.input_guard), OpenAPI under the service's gateway prefix."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, get_args

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from prometheus_client import CollectorRegistry, Gauge
from prometheus_fastapi_instrumentator import Instrumentator

from kit.auth import Admin, Citizen, Operator, TokenVerifier, current_principal
from kit.consumer import Consumer, EventHandlers, Topology
from kit.correlation import CorrelationMiddleware
from kit.input_guard import InputGuard
from kit.jobs import Job, JobScheduler
from kit.logging import configure_logging
from kit.messaging import Broker
from kit.outbox import OutboxRelay
from kit.problems import (
    MEDIA_TYPE,
    PROBLEM_SCHEMA,
    ProblemDetails,
    install_problem_handlers,
    problem_response,
    problem_responses,
)
from kit.runtime import ServiceRuntime

log = structlog.get_logger(__name__)

# A coroutine that runs on every replica for the app's lifetime (a mail sender, a key reload).
Worker = Callable[[], Awaitable[None]]


def create_service_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    handlers: EventHandlers | None = None,
    jobs: Sequence[Job] = (),
    workers: Sequence[Worker] = (),
) -> FastAPI:
    """Build a service from what its wiring point built. ``jobs`` run once per period across
    replicas; ``workers`` run on every replica."""
    settings = runtime.settings
    prefix = settings.api_prefix
    registry = CollectorRegistry()
    scheduler = (
        JobScheduler(
            runtime.db,
            jobs,
            clock=runtime.clock,
            poll_interval_s=settings.jobs_poll_interval_s,
            registry=registry,
        )
        if jobs
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level, settings.log_json)
        db = runtime.db
        broker = Broker(settings.amqp_url, settings.events_exchange, connection_name=settings.service_name)
        app.state.broker = broker
        app.state.consumer = None
        app.state.relay = None
        tasks: list[asyncio.Task[Any]] = []

        async def start_messaging() -> None:
            await broker.connect_forever()
            if handlers is not None and handlers.routing_keys and settings.run_consumer:
                consumer = Consumer(
                    broker,
                    db,
                    handlers,
                    Topology(
                        queue=settings.queue_name,
                        exchange=settings.events_exchange,
                        max_attempts=settings.consumer_max_attempts,
                        retry_base_ms=settings.consumer_retry_base_ms,
                    ),
                    prefetch=settings.consumer_prefetch,
                )
                await consumer.start()
                app.state.consumer = consumer
            if settings.run_relay:
                relay = OutboxRelay(
                    db,
                    broker,
                    batch_size=settings.relay_batch_size,
                    poll_interval_s=settings.relay_poll_interval_s,
                    retry_base_s=settings.relay_retry_base_s,
                    retry_max_s=settings.relay_retry_max_s,
                )
                app.state.relay = relay
                await relay.run()

        await runtime.start()
        tasks.append(asyncio.create_task(start_messaging(), name="messaging"))
        if scheduler is not None and settings.run_jobs:
            tasks.append(asyncio.create_task(scheduler.run(), name="jobs"))
        tasks.extend(
            asyncio.create_task(worker(), name=getattr(worker, "__name__", "worker")) for worker in workers
        )
        log.info("service.started", prefix=prefix)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            # Bounded, and without swallowing a cancellation of the shutdown itself: a task that
            # does not stop is named in the log rather than holding the process.
            if tasks:
                _, still_running = await asyncio.wait(tasks, timeout=10.0)
                for task in still_running:
                    log.error("service.task_did_not_stop", task=task.get_name())
            await runtime.stop()
            if app.state.consumer is not None:
                await app.state.consumer.stop()
            if app.state.relay is not None:
                await app.state.relay.close()
            await broker.close()
            await db.dispose()
            log.info("service.stopped")

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        # The OpenAPI document only: FastAPI's docs pages load their scripts from a CDN and
        # start them with an inline script, which no content security policy here allows.
        docs_url=None,
        redoc_url=None,
        openapi_url=f"{prefix}/openapi.json",
        # A trailing-slash redirect is built from the request's Host header: a forged Host
        # would send the client elsewhere. "/x/" is simply not found.
        redirect_slashes=False,
    )
    # The one object a route needs from the app: typed access through kit.runtime.
    app.state.runtime = runtime
    app.state.settings = settings
    app.state.db = runtime.db
    app.state.scheduler = scheduler
    app.state.expects_consumer = bool(handlers and handlers.routing_keys and settings.run_consumer)
    app.state.verifier = TokenVerifier(
        settings.jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        cache_s=settings.jwks_cache_s,
    )
    # Added first runs last: correlation, then the 500 catcher, then the input guard.
    app.add_middleware(InputGuard, api=app)
    install_problem_handlers(app)
    app.add_middleware(CorrelationMiddleware)

    health = APIRouter(prefix=f"{prefix}/health", tags=["salute"])

    @health.get("/live", summary="Il processo è vivo")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @health.get("/ready", summary="Database e broker raggiungibili", responses=problem_responses(503))
    async def ready() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(2.0):
                await app.state.db.ping()
            checks["database"] = "ok"
        except Exception as exc:  # any failure means "not ready", never a 500
            checks["database"] = f"errore: {type(exc).__name__}"
        checks["broker"] = "ok" if app.state.broker.is_ready else "non connesso"
        if handlers is not None and handlers.routing_keys and settings.run_consumer:
            consumer = app.state.consumer
            ok = consumer is not None and consumer.channel is not None and not consumer.channel.is_closed
            checks["consumer"] = "ok" if ok else "non attivo"
        if all(v == "ok" for v in checks.values()):
            return JSONResponse({"status": "ok", "checks": checks})
        response = problem_response(
            503, "not_ready", "Il servizio non è ancora pronto.", instance=f"{prefix}/health/ready"
        )
        response.headers["Retry-After"] = "1"
        return response

    app.include_router(health)
    for router in routers:
        app.include_router(router, prefix=prefix)

    _document_problems(app)
    _messaging_metrics(app, registry)
    Instrumentator(
        registry=registry, excluded_handlers=[f"{prefix}/health/.*", f"{prefix}/metrics"]
    ).instrument(app).expose(app, endpoint=f"{prefix}/metrics", include_in_schema=False)
    return app


def _messaging_metrics(app: FastAPI, registry: CollectorRegistry) -> None:
    """Consumer counters read at scrape time from the live consumer."""
    handled = Gauge("events_handled", "Events handled by this process", registry=registry)
    dead = Gauge("events_dead_lettered", "Events sent to the dead-letter queue", registry=registry)
    broker_up = Gauge("broker_connected", "1 when the broker connection is open", registry=registry)
    handled.set_function(lambda: getattr(getattr(app.state, "consumer", None), "handled", 0))
    dead.set_function(lambda: getattr(getattr(app.state, "consumer", None), "dead_lettered", 0))
    broker_up.set_function(lambda: int(getattr(getattr(app.state, "broker", None), "is_ready", False)))


# Answered by every route: input the kit's guard or validation refuses, an unexpected failure.
_EVERY_ROUTE = (422, 500)
# Answered by every route that takes a body: one that cannot be read (not UTF-8, a broken
# form), the gateway's body limit.
_WITH_BODY = (400, 413)
# Answered by every route with path parameters: what they name does not exist (for this caller).
_WITH_PATH_PARAMETERS = (404,)
# The gateway's entry point refuses an encoded character in the path that a backend could decode
# differently from the router (%2F, %23, %3F, %25, ...): Go's bare 400, before any route, so no
# problem document (devtools.gateway). Where a route answers a 400 problem of its own too, the
# document can only say "some 400", without a content that the bare one would contradict.
_GATEWAY_PATH_REFUSAL = "Percorso non valido: il gateway rifiuta alcuni caratteri codificati (senza corpo)"
# Answered by every route that needs a token: none or an invalid one, the keys unreachable.
_AUTHENTICATED = (401, 503)
# The role checks of kit.auth (Citizen, Operator, Admin): a token of another role gets 403.
_ROLE_CHECKS = {get_args(kind)[1].dependency for kind in (Citizen, Operator, Admin)}
BEARER = "bearer"


def _calls(dependant: Dependant) -> set[Any]:
    found: set[Any] = set()
    pending = list(dependant.dependencies)
    while pending:
        dependency = pending.pop()
        found.add(dependency.call)
        pending.extend(dependency.dependencies)
    return found


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document states what every route may answer besides its success: the
    refusals the kit and the gateway give on every route of a kind (``_EVERY_ROUTE``, ...),
    the route's own (``responses=problem_responses(...)``), each a problem+json document; and
    which routes need a bearer token."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = FastAPI.openapi(app)
        components = document.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["ProblemDetails"] = problem
        # FastAPI's own 422 shape never reaches a client: kit.problems answers problems.
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        components.setdefault("securitySchemes", {})[BEARER] = {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
        # As FastAPI walks them for the document: included routers' routes with their prefix.
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            calls = _calls(route.dependant)
            statuses = [*_EVERY_ROUTE]
            if route.dependant.path_params:
                statuses += _WITH_PATH_PARAMETERS
            authenticated = current_principal in calls
            if authenticated:
                statuses += _AUTHENTICATED
            if calls & _ROLE_CHECKS:
                statuses.append(403)
            for method in route.methods:
                operation = document["paths"][route.path_format][method.lower()]
                if authenticated:
                    operation["security"] = [{BEARER: []}]
                responses = operation.setdefault("responses", {})
                for status in [*statuses, *(_WITH_BODY if "requestBody" in operation else ())]:
                    responses.setdefault(str(status), problem_responses(status)[status])
                for status, response in responses.items():
                    declared = route.responses.get(int(status) if status.isdigit() else status) or {}
                    # A refusal is a problem document unless the route says otherwise (a page).
                    if status[0] in "45" and "content" not in declared:
                        response["content"] = {MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}}
                        if response.get("description") == "Validation Error":  # FastAPI's
                            response["description"] = problem_responses(422)[422]["description"]
                if route.dependant.path_params:
                    own = responses.get("400", {}).get("description")
                    described = f"{own}; {_GATEWAY_PATH_REFUSAL}" if own else _GATEWAY_PATH_REFUSAL
                    responses["400"] = {"description": described}
                operation["responses"] = dict(sorted(responses.items()))
        return document

    app.openapi = openapi  # type: ignore[method-assign]
