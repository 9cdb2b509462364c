"""Run a service app in-process for a test: lifespan started, broker and consumer up, and its
queues removed afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI


async def wait_until_messaging_ready(app: FastAPI, timeout_s: float = 15.0) -> None:
    async def ready() -> None:
        while True:
            broker_ok = app.state.broker.is_ready
            consumer_ok = app.state.consumer is not None or not app.state.expects_consumer
            if broker_ok and consumer_ok:
                return
            await asyncio.sleep(0.02)

    async with asyncio.timeout(timeout_s):
        await ready()


@asynccontextmanager
async def running_service(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        await wait_until_messaging_ready(app)
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client
        if app.state.consumer is not None:
            # Stopped first: a robust channel whose consumer the broker cancels (its queue
            # deleted under it) declares the queue again, and it would outlive the run.
            await app.state.consumer.stop()
            await app.state.consumer.delete_topology()
