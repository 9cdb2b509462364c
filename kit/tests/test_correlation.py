"""The correlation id of an HTTP request travels into the events it causes, into the handling
of those events in another service, and into their log lines."""

from __future__ import annotations

import asyncio
import json
import uuid

import structlog
from fastapi import APIRouter

from contracts import Envelope
from contracts.events import UserRegistered
from kit.app import create_service_app
from kit.consumer import EventHandlers
from kit.correlation import causation_id, correlation_id
from kit.deps import UnitOfWorkDep
from kit.logging import configure_logging
from kit.outbox import emit
from kit.runtime import ServiceRuntime
from kit.settings import ServiceSettings
from kit.testing.pipeline import record_effect, registered
from kit.testing.services import running_service

router = APIRouter()


@router.post("/users", status_code=201)
async def create_user(session: UnitOfWorkDep) -> dict[str, str]:
    structlog.get_logger("test").info("user.creating")
    envelope = await emit(session, registered(uuid.uuid4(), "correlato@example.it"))
    return {"event_id": str(envelope.event_id)}


async def test_correlation_id_flows_from_request_to_event_to_consumer_logs(
    make_pipeline, service_env, capsys
) -> None:  # noqa: ANN001
    seen: list[tuple[str | None, str | None]] = []

    async def handler(session, event: UserRegistered, envelope: Envelope) -> None:  # noqa: ANN001
        seen.append((correlation_id.get(), causation_id.get()))
        structlog.get_logger("test").info("user.handled")
        await record_effect(session, event, envelope)

    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", handler)
    pipeline = await make_pipeline(handlers)
    await pipeline.start_consumer()

    settings = ServiceSettings(
        service_name="corr",
        api_prefix="/api/corr",
        database_url=pipeline.producer_db.url,
        **{**service_env, "events_exchange": pipeline.exchange},
    )
    app = create_service_app(
        ServiceRuntime.from_settings(settings), title="t", description="d", routers=[router]
    )
    async with running_service(app) as client:
        configure_logging("corr", "INFO", json=True)
        capsys.readouterr()
        response = await client.post("/api/corr/users", headers={"X-Correlation-ID": "req-42"})
        assert response.status_code == 201
        event_id = response.json()["event_id"]
        await pipeline.wait_for_effects(1)
        await asyncio.sleep(0.1)

    assert seen == [("req-42", event_id)]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    by_event = {line["event"]: line for line in lines}
    assert by_event["user.creating"]["correlation_id"] == "req-42"
    assert by_event["user.handled"]["correlation_id"] == "req-42"
