"""Deliveries that wait while a transaction runs are handled together in one transaction: the
same guarantees as one by one (each has its own inbox row; a failing one costs the others
nothing), against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid

from contracts import Envelope
from contracts.events import UserRegistered
from kit.consumer import Consumer, EventHandlers
from kit.outbox import emit
from kit.testing.pipeline import record_effect, registered


def gated(gate: asyncio.Event, poison: set[uuid.UUID] | None = None) -> EventHandlers:
    """Every handler call waits for ``gate``: the first two deliveries hold both transactions,
    the others pile up and form one batch when the gate opens."""

    async def handler(session, event: UserRegistered, envelope: Envelope) -> None:  # noqa: ANN001
        await gate.wait()
        await record_effect(session, event, envelope)
        await session.flush()  # the effect is written before the failure: it must roll back
        if poison and event.user_id in poison:
            raise ValueError("cannot ever be handled")

    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", handler)
    return handlers


async def in_hand(consumer: Consumer, count: int, timeout_s: float = 15.0) -> None:
    async with asyncio.timeout(timeout_s):
        while consumer.in_flight < count:
            await asyncio.sleep(0.02)


async def test_waiting_deliveries_share_a_transaction_and_a_duplicate_in_it_applies_once(
    make_pipeline,
) -> None:
    gate = asyncio.Event()
    pipeline = await make_pipeline(gated(gate))
    consumer = await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    ids = await pipeline.commit_events(10)
    await in_hand(consumer, 10)
    # The relay crashed before marking it sent, twice: the same event lands in the same batch.
    last = await pipeline.last_sent_envelope()
    await pipeline.redeliver(last)
    await pipeline.redeliver(last)
    await in_hand(consumer, 12)

    gate.set()
    await pipeline.wait_for_effects(10)
    await pipeline.wait_until_settled()
    assert await pipeline.effect_counts() == {i: 1 for i in ids}
    assert consumer.batches >= 1, "the waiting deliveries were not handled together"
    assert consumer.batch_fallbacks == 0
    assert consumer.handled == 12


async def test_a_failing_delivery_in_a_batch_neither_loses_nor_duplicates_the_others(
    make_pipeline,
) -> None:
    gate = asyncio.Event()
    poison_id = uuid.uuid4()
    pipeline = await make_pipeline(gated(gate, {poison_id}), max_attempts=3)
    consumer = await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    ids = await pipeline.commit_events(3)
    async with pipeline.producer_db.session() as session:
        await emit(session, registered(poison_id, "veleno@example.it"))
        await session.commit()
    ids += await pipeline.commit_events(6)
    await in_hand(consumer, 10)

    gate.set()
    await pipeline.wait_for_effects(9)
    await pipeline.wait_until_settled()
    assert await pipeline.effect_counts() == {i: 1 for i in ids}
    assert consumer.batch_fallbacks >= 1
    dead = await pipeline.dead_letters()
    assert [UserRegistered.model_validate(d.payload).user_id for d in dead] == [poison_id]
