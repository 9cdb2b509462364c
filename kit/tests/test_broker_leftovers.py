"""A test run leaves nothing on the broker under its prefix: what a fixture leaves behind is
deleted when the session ends and named in the summary (kit.testing.plugin.sweep_broker)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import aio_pika
import pytest

from contracts.events import UserRegistered
from kit.consumer import Consumer, EventHandlers, Topology
from kit.db import Database
from kit.messaging import Broker
from kit.testing import plugin
from kit.testing.plugin import run_prefix, sweep_broker

REPO_ROOT = Path(__file__).resolve().parents[2]


async def _ignore(*_: object) -> None:
    pass


async def leave_a_queue_behind(amqp_url: str, exchange: str, queue: str) -> None:
    """What kit.testing.services.running_service does at its end: delete the topology of a
    consumer that is still consuming. The broker cancels the consumer, aio-pika's robust
    channel takes that for a lost queue and declares it again."""
    handlers = EventHandlers()
    handlers.add(UserRegistered, "leftovers.ignore", _ignore)
    broker = Broker(amqp_url, exchange, connection_name="leftovers")
    await broker.connect()
    consumer = Consumer(
        broker,
        Database("postgresql+asyncpg://unused@127.0.0.1/unused"),  # no message ever arrives
        handlers,
        Topology(queue=queue, exchange=exchange, max_attempts=2, retry_base_ms=50),
    )
    await consumer.start()
    await consumer.delete_topology()
    await asyncio.sleep(1.0)  # the robust channel's recovery
    await consumer.stop()
    await broker.close()


async def queue_exists(amqp_url: str, name: str) -> bool:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        try:
            await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return False
        return True


@pytest.fixture
def prefix(run_id: str) -> str:
    # Under the run's prefix (the session's sweep would find it too), on its own.
    return f"{run_prefix(run_id)}leftovers{uuid.uuid4().hex[:6]}."


async def test_the_sweep_deletes_a_queue_that_a_consumer_declared_again(amqp_url: str, prefix: str) -> None:
    queue = f"{prefix}notifications.events"
    await leave_a_queue_behind(amqp_url, f"{prefix}events", queue)
    assert await queue_exists(amqp_url, queue)

    swept = await sweep_broker(amqp_url, prefix)

    assert swept.queues == [queue]
    assert swept.exchanges == [f"{prefix}events"]
    assert not await queue_exists(amqp_url, queue)
    assert (await sweep_broker(amqp_url, prefix)).queues == []


async def test_without_a_broker_listing_the_sweep_deletes_what_this_process_declared(
    amqp_url: str, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugin, "_listed_by_management_api", lambda url: None)
    monkeypatch.setattr(plugin, "_listed_by_rabbitmqctl", lambda url: None)
    queue = f"{prefix}identity.events"
    await leave_a_queue_behind(amqp_url, f"{prefix}events", queue)

    swept = await sweep_broker(amqp_url, prefix)

    assert swept.source == "names declared by this process"
    assert swept.queues == [queue]
    assert not await queue_exists(amqp_url, queue)


INNER_TEST = """
from pathlib import Path

from kit.testing.plugin import run_prefix
from test_broker_leftovers import leave_a_queue_behind


async def test_leaves_a_queue(amqp_url, exchange_name, run_id):
    queue = f"{run_prefix(run_id)}notifications.events"
    Path("queue.txt").write_text(queue)
    await leave_a_queue_behind(amqp_url, exchange_name, queue)
"""


async def test_a_whole_run_ends_with_nothing_left_under_its_prefix(amqp_url: str, tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TEST))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }

    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "kit.testing.plugin",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            "--rootdir",
            str(tmp_path),
            "-o",
            "asyncio_mode=auto",
            "-o",
            "asyncio_default_fixture_loop_scope=session",
            "-o",
            "asyncio_default_test_loop_scope=session",
            "test_inner.py",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    queue = (tmp_path / "queue.txt").read_text()
    assert "broker objects left by this run (now deleted)" in done.stdout
    assert f"queue    {queue}" in done.stdout
    assert not await queue_exists(amqp_url, queue)
