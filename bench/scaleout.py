"""Scale-out: one and then two consumer *processes* of one service on its one queue and
database. The parent publishes pre-built kit envelopes at full speed (the producer side is
measured elsewhere) and times the last effect's commit; each child is a plain ``Consumer``.

Child: ``python -m bench.scaleout <db url> <amqp url> <exchange> <queue> <prefetch> <max batch>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg

from bench.infra import Resources, effects
from contracts import Envelope
from contracts.events import UserRegistered
from kit.consumer import Consumer, EventHandlers, Topology
from kit.db import Database, asyncpg_dsn
from kit.messaging import Broker


def _handlers() -> EventHandlers:
    handlers = EventHandlers()

    @handlers.on(UserRegistered, name="bench.apply")
    async def apply(session: Any, event: UserRegistered, envelope: Envelope) -> None:
        await session.exec(
            effects.insert().values(
                event_id=envelope.event_id, user_id=event.user_id, occurred_at=envelope.occurred_at
            )
        )

    return handlers


async def child(db_url: str, amqp_url: str, exchange: str, queue: str, prefetch: int, max_batch: int) -> None:
    db = Database(db_url)
    broker = Broker(amqp_url, exchange, connection_name=f"bench-consumer-{os.getpid()}")
    await broker.connect()
    topology = Topology(queue, exchange, 5, 1000)
    consumer = Consumer(broker, db, _handlers(), topology, prefetch=prefetch, max_batch=max_batch)
    await consumer.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await consumer.stop()
    await broker.close()
    await db.dispose()
    print(f"handled {consumer.handled} in {consumer.batches} batches", flush=True)


@dataclass
class ScaleResult:
    processes: int
    events: int
    applied: int
    rate: float
    cpu_ms: float  # children's CPU per event


def _children_cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


async def measure(
    res: Resources, consumer_url: str, processes: int, events: int, prefetch: int, max_batch: int = 64
) -> ScaleResult:
    # Exchange and queue of their own: the in-process kit consumer must not see these events.
    exchange_name = f"{res.kit_exchange}.scale{processes}"
    topology = Topology(f"{res.kit_topology.queue}.scale{processes}", exchange_name, 5, 1000)
    queue = topology.queue
    procs: list[asyncio.subprocess.Process] = []
    pg = await asyncpg.connect(asyncpg_dsn(consumer_url))
    connection = await aio_pika.connect(res.amqp_url)
    try:
        for _ in range(processes):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.scaleout",
                consumer_url,
                res.amqp_url,
                exchange_name,
                queue,
                str(prefetch),
                str(max_batch),
                stdout=asyncio.subprocess.PIPE,
            )
            procs.append(proc)
            assert proc.stdout is not None
            async with asyncio.timeout(30):
                line = await proc.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"consumer process failed to start: {line!r}")
        before = await pg.fetchval("SELECT count(*) FROM effects")
        cpu0 = _children_cpu_s([p.pid for p in procs])
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_name)
        bodies = [
            Envelope.wrap(
                UserRegistered(
                    user_id=uuid.uuid4(),
                    email=f"scale{i}@example.it",
                    tax_code="RSSMRA80A01B963Z",
                    first_name="Mario",
                    last_name="Rossi",
                    registered_at=datetime.now(UTC),
                ),
                correlation_id=uuid.uuid4().hex,
            )
            for i in range(events)
        ]
        start = time.perf_counter()
        sem = asyncio.Semaphore(200)

        async def publish(env: Envelope) -> None:
            async with sem:
                await exchange.publish(
                    aio_pika.Message(
                        env.model_dump_json().encode(),
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=str(env.event_id),
                    ),
                    routing_key=env.routing_key,
                )

        await asyncio.gather(*(publish(b) for b in bodies))
        applied, deadline = 0, start + 120
        while time.perf_counter() < deadline:
            applied = await pg.fetchval("SELECT count(*) FROM effects") - before
            if applied >= events:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        cpu = _children_cpu_s([p.pid for p in procs]) - cpu0
        await asyncio.sleep(0.3)  # a late duplicate would show up here
        applied = await pg.fetchval("SELECT count(*) FROM effects") - before
        return ScaleResult(processes, events, applied, applied / elapsed, cpu * 1000 / events)
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                async with asyncio.timeout(15):
                    await proc.communicate()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        names = [queue, topology.dead_letter_queue, *map(topology.retry_queue, topology.retry_delays_ms())]
        for name in names:
            with contextlib.suppress(Exception):
                channel = await connection.channel()
                await channel.queue_delete(name)
        for name in (exchange_name, topology.dead_letter_exchange):
            with contextlib.suppress(Exception):
                channel = await connection.channel()
                await channel.exchange_delete(name)
        await connection.close()
        await pg.close()


if __name__ == "__main__":
    db_url, amqp_url, exchange, queue, prefetch, max_batch = sys.argv[1:7]
    from kit.logging import configure_logging

    configure_logging("bench-consumer", "WARNING", json=False)
    asyncio.run(child(db_url, amqp_url, exchange, queue, int(prefetch), int(max_batch)))
