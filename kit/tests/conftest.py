"""Each messaging test gets its own databases, exchange and queue."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from contracts.events import UserRegistered
from kit.consumer import EventHandlers
from kit.db import Database, kit_metadata
from kit.testing.pipeline import (
    Pipeline,
    create_tables,
    delete_queues,
    effects_metadata,
    record_effect,
)

MakePipeline = Callable[..., Awaitable[Pipeline]]


@pytest.fixture
async def make_pipeline(make_database, amqp_url: str, exchange_name: str) -> AsyncIterator[MakePipeline]:  # noqa: ANN001
    built: list[Pipeline] = []

    async def make(handlers: EventHandlers | None = None, max_attempts: int = 3) -> Pipeline:
        producer_url = await make_database("producer")
        consumer_url = await make_database("consumer")
        await create_tables(producer_url, kit_metadata)
        await create_tables(consumer_url, kit_metadata, effects_metadata)
        if handlers is None:
            handlers = EventHandlers()
            handlers.add(UserRegistered, "effects.record", record_effect)
        pipeline = Pipeline(
            Database(producer_url),
            Database(consumer_url),
            amqp_url,
            exchange_name,
            f"{exchange_name}.{uuid.uuid4().hex[:8]}.events",
            handlers,
            max_attempts=max_attempts,
        )
        built.append(pipeline)
        return pipeline

    yield make
    for pipeline in built:
        for task in pipeline.relays:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        # A test may have cut connections: never let teardown wait on a reconnecting one.
        for consumer in pipeline.consumers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), 5)
        await delete_queues(amqp_url, pipeline.queue, pipeline.max_attempts)
        for broker in pipeline.brokers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(broker.close(), 5)
        await pipeline.producer_db.dispose()
        await pipeline.consumer_db.dispose()
