"""The outbox and inbox against the real PostgreSQL and RabbitMQ: nothing lost, nothing applied
twice, whatever fails in between."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit

import aio_pika
from sqlalchemy import func, select

from contracts import Envelope
from contracts.events import UserRegistered
from kit.consumer import EventHandlers
from kit.db import outbox_table
from kit.outbox import emit
from kit.testing.pipeline import BrokerProxy, record_effect, registered


async def unsent_rows(pipeline) -> int:  # noqa: ANN001
    async with pipeline.producer_db.session() as session:
        return (
            await session.exec(
                select(func.count()).select_from(outbox_table).where(outbox_table.c.sent_at.is_(None))
            )
        ).scalar_one()


async def test_rolled_back_transaction_publishes_nothing(make_pipeline) -> None:
    pipeline = await make_pipeline()
    await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))

    async with pipeline.producer_db.session() as session:
        await emit(session, registered(uuid.uuid4(), "annullato@example.it"))
        await session.rollback()
    kept = await pipeline.commit_events(1)

    counts = await pipeline.wait_for_effects(1)
    await asyncio.sleep(0.5)  # room for a wrongly published event to arrive
    assert await pipeline.effect_counts() == {kept[0]: 1}
    assert counts == {kept[0]: 1}
    async with pipeline.producer_db.session() as session:
        assert (await session.exec(select(func.count()).select_from(outbox_table))).scalar_one() == 1


async def test_relay_dying_after_publish_before_marking_sent_gives_exactly_one_effect(
    make_pipeline,
) -> None:
    pipeline = await make_pipeline()
    await pipeline.start_consumer()
    ids = await pipeline.commit_events(5)

    class RelayKilled(Exception):
        pass

    async def die(_rows) -> None:  # noqa: ANN001
        raise RelayKilled

    dying = pipeline.relay(await pipeline.broker(), after_publish=die)
    try:
        await dying.relay_once()
    except RelayKilled:
        pass
    assert await unsent_rows(pipeline) == 5, "the published rows must still be unsent"

    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    await pipeline.wait_for_effects(5)
    await asyncio.sleep(0.5)
    assert await pipeline.effect_counts() == {i: 1 for i in ids}
    assert await unsent_rows(pipeline) == 0


async def test_handler_failing_on_first_delivery_is_retried_and_applied_once(make_pipeline) -> None:
    failed: set[uuid.UUID] = set()

    async def flaky(session, event: UserRegistered, envelope: Envelope) -> None:  # noqa: ANN001
        await record_effect(session, event, envelope)
        await session.flush()  # the effect is written, then the transaction fails
        if event.user_id not in failed:
            failed.add(event.user_id)
            raise RuntimeError("transient failure")

    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", flaky)
    pipeline = await make_pipeline(handlers)
    await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    ids = await pipeline.commit_events(3)

    await pipeline.wait_for_effects(3)
    await asyncio.sleep(0.3)
    assert failed == set(ids)
    assert await pipeline.effect_counts() == {i: 1 for i in ids}
    assert await pipeline.dead_letters() == []


async def test_broker_closing_every_connection_mid_stream_loses_and_duplicates_nothing(
    make_pipeline, amqp_url: str
) -> None:
    upstream = urlsplit(amqp_url)
    proxy = BrokerProxy(upstream.hostname or "127.0.0.1", upstream.port or 5672)
    await proxy.start()
    via_proxy = amqp_url.replace(f"{upstream.hostname}:{upstream.port}", f"127.0.0.1:{proxy.port}")
    try:
        pipeline = await make_pipeline()
        consumer = await pipeline.start_consumer(await pipeline.broker(via_proxy))
        pipeline.run_relay(pipeline.relay(await pipeline.broker(via_proxy)))

        ids: list[uuid.UUID] = []
        for round_ in range(4):
            ids += await pipeline.commit_events(25)
            await asyncio.sleep(0.05)
            if round_ < 3:
                # Both robust connections (relay's and consumer's) are back before each cut.
                await proxy.wait_for_connections(2)
                assert proxy.drop_all() == 4
        counts = await pipeline.wait_for_effects(100, timeout_s=40)
        await asyncio.sleep(0.5)
        counts = await pipeline.effect_counts()
        assert sum(counts.values()) == 100
        assert counts == {i: 1 for i in ids}
        assert await unsent_rows(pipeline) == 0
        # The consumer was restored by the robust connection, not re-created by the test.
        assert pipeline.consumers == [consumer]
        assert consumer.channel is not None and not consumer.channel.is_closed
    finally:
        await proxy.stop()


async def test_poison_message_is_dead_lettered_after_configured_attempts_and_others_flow(
    make_pipeline,
) -> None:
    poison_id = uuid.uuid4()
    attempts: list[uuid.UUID] = []

    async def picky(session, event: UserRegistered, envelope: Envelope) -> None:  # noqa: ANN001
        if event.user_id == poison_id:
            attempts.append(event.user_id)
            raise ValueError("cannot ever be handled")
        await record_effect(session, event, envelope)

    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", picky)
    pipeline = await make_pipeline(handlers, max_attempts=3)
    await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))

    async with pipeline.producer_db.session() as session:
        await emit(session, registered(poison_id, "veleno@example.it"))
        await session.commit()
    ids = await pipeline.commit_events(10)

    await pipeline.wait_for_effects(10)
    assert await pipeline.effect_counts() == {i: 1 for i in ids}
    for _ in range(100):
        if len(attempts) >= 3:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert len(attempts) == 3
    dead = await pipeline.dead_letters()
    assert [UserRegistered.model_validate(d.payload).user_id for d in dead] == [poison_id]


async def test_unparsable_message_goes_straight_to_dead_letter_queue(make_pipeline, amqp_url: str) -> None:
    pipeline = await make_pipeline()
    consumer = await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(pipeline.exchange)
        await exchange.publish(aio_pika.Message(b"{not json"), routing_key=UserRegistered.routing_key())
    ids = await pipeline.commit_events(3)

    await pipeline.wait_for_effects(3)
    for _ in range(50):
        if consumer.dead_lettered:
            break
        await asyncio.sleep(0.05)
    assert consumer.dead_lettered == 1
    assert await pipeline.effect_counts() == {i: 1 for i in ids}


async def test_two_relays_at_once_send_each_event_once(make_pipeline, amqp_url: str) -> None:
    pipeline = await make_pipeline()
    await pipeline.start_consumer()
    ids = await pipeline.commit_events(300)

    published: list[str] = []

    def counting(relay):  # noqa: ANN001, ANN202
        original = relay.broker.publish

        async def publish(body: bytes, **kwargs) -> None:  # noqa: ANN003
            published.append(kwargs["message_id"])
            await original(body, **kwargs)

        relay.broker.publish = publish
        return relay

    first = counting(pipeline.relay(await pipeline.broker(), batch_size=20))
    second = counting(pipeline.relay(await pipeline.broker(), batch_size=20))
    pipeline.run_relay(first)
    pipeline.run_relay(second)

    await pipeline.wait_for_effects(300)
    await asyncio.sleep(0.3)
    assert len(published) == 300
    assert len(set(published)) == 300
    assert await pipeline.effect_counts() == {i: 1 for i in ids}
