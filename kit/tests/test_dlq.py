"""``python -m <service> dlq list|replay`` against the real broker: a dead-lettered event,
replayed once its handler is fixed, is handled exactly once; listing and a dry run move nothing."""

from __future__ import annotations

import asyncio
import io
import uuid
from contextlib import redirect_stdout

import aio_pika
import pytest
from fastapi import FastAPI

from contracts import Envelope
from contracts.events import UserRegistered
from kit.cli import ServiceCli
from kit.consumer import EventHandlers
from kit.outbox import emit
from kit.settings import ServiceSettings
from kit.testing.pipeline import Pipeline, record_effect, registered


def cli_for(pipeline: Pipeline) -> ServiceCli:
    """The shared CLI of a service whose queue is the pipeline's consumer queue."""
    prefix, service = pipeline.queue.removesuffix(".events").rsplit(".", 1)
    settings = ServiceSettings(
        environment="test",
        amqp_url=pipeline.amqp_url,
        events_exchange=pipeline.exchange,
        queue_prefix=f"{prefix}.",
        service_name=service,
        log_json=True,
    )
    assert settings.queue_name == pipeline.queue
    return ServiceCli("kit", lambda: settings, lambda _: FastAPI())


async def run_cli(cli: ServiceCli, *argv: str) -> str:
    """The command as an operator types it; in a thread, since it runs its own event loop."""
    out = io.StringIO()

    def main() -> None:
        with redirect_stdout(out):
            cli.main(list(argv))

    await asyncio.to_thread(main)
    return out.getvalue()


async def dlq_depth(pipeline: Pipeline) -> int:
    connection = await aio_pika.connect(pipeline.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{pipeline.queue}.dlq", passive=True)
        return queue.declaration_result.message_count or 0


async def wait_for(check, timeout_s: float = 20.0) -> None:  # noqa: ANN001
    async with asyncio.timeout(timeout_s):
        while not await check():
            await asyncio.sleep(0.05)


async def test_replayed_dead_letter_is_handled_exactly_once_and_dry_run_moves_nothing(make_pipeline) -> None:
    failures_left = 1000
    attempts = 0

    async def poison_then_fixed(session, event: UserRegistered, envelope: Envelope) -> None:  # noqa: ANN001
        nonlocal attempts, failures_left
        attempts += 1
        if failures_left:
            failures_left -= 1
            raise RuntimeError("a bug, fixed by the next release")
        await record_effect(session, event, envelope)

    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", poison_then_fixed)
    pipeline = await make_pipeline(handlers, max_attempts=2)
    consumer = await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    user_id = uuid.uuid4()
    async with pipeline.producer_db.session() as session:
        await emit(session, registered(user_id, "da.riprovare@example.it"))
        await session.commit()

    async def dead_lettered() -> bool:
        return consumer.dead_lettered == 1 and await dlq_depth(pipeline) == 1

    await wait_for(dead_lettered)
    assert attempts == 2
    cli = cli_for(pipeline)

    listed = await run_cli(cli, "dlq", "list")
    dry = await run_cli(cli, "dlq", "replay", "--dry-run")

    sent = await pipeline.last_sent_envelope()
    for output in (listed, dry):
        assert f"{sent.event_id}  {sent.type}  chiave={sent.routing_key}  motivo=rejected" in output
        assert ": 1 messaggi" in output
    assert "nulla è stato spostato" in dry
    await pipeline.wait_until_settled()
    assert await dlq_depth(pipeline) == 1
    assert attempts == 2 and await pipeline.effect_counts() == {}

    # Fixed, but the first attempt after the replay meets a transient failure: the replayed
    # message has its retries again.
    failures_left = 1
    replayed = await run_cli(cli, "dlq", "replay", "--limit", "10")

    assert f"1 messaggi rimessi in {pipeline.queue}" in replayed
    assert await pipeline.wait_for_effects(1) == {user_id: 1}
    await pipeline.wait_until_settled()
    assert await pipeline.effect_counts() == {user_id: 1}
    assert attempts == 4
    assert await dlq_depth(pipeline) == 0
    assert consumer.dead_lettered == 1

    again = await run_cli(cli, "dlq", "replay")
    assert ": 0 messaggi" in again


async def test_replay_honours_the_limit(make_pipeline) -> None:
    async def always_fails(session, event: UserRegistered, envelope: Envelope) -> None:  # noqa: ANN001
        raise RuntimeError("still broken")

    handlers = EventHandlers()
    handlers.add(UserRegistered, "effects.record", always_fails)
    pipeline = await make_pipeline(handlers, max_attempts=1)
    consumer = await pipeline.start_consumer()
    pipeline.run_relay(pipeline.relay(await pipeline.broker()))
    await pipeline.commit_events(3)

    async def three_dead() -> bool:
        return await dlq_depth(pipeline) == 3

    await wait_for(three_dead)
    await consumer.stop()  # nothing consumes the replayed copies: they wait in the queue

    output = await run_cli(cli_for(pipeline), "dlq", "replay", "--limit", "2")

    assert ": 2 messaggi rimessi" in output
    assert await dlq_depth(pipeline) == 1


def test_dlq_command_refuses_a_queue_that_does_not_exist(amqp_url: str, run_id: str) -> None:
    settings = ServiceSettings(
        environment="test", amqp_url=amqp_url, queue_prefix=f"test.{run_id}.", service_name="nessuno"
    )
    cli = ServiceCli("kit", lambda: settings, lambda _: FastAPI())
    with pytest.raises(SystemExit, match="non esiste"):
        cli.main(["dlq", "list"])
