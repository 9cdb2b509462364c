"""The floor: aio-pika alone, with the same guarantees the kit asks of the broker (publisher
confirms, persistent messages, durable quorum queue, manual ack) and nothing else."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from bench.common import Contender, now
from bench.infra import Resources
from contracts import Envelope
from contracts.events import UserRegistered


class BareAioPika(Contender):
    name = "bare aio-pika"

    def __init__(self, res: Resources, prefetch: int) -> None:
        super().__init__()
        self.res = res
        self.prefetch = prefetch
        self.connections: list[aio_pika.abc.AbstractConnection] = []
        self.routing_key = UserRegistered.routing_key()
        # Same body as a kit message, so both move the same bytes.
        self.body = (
            Envelope.wrap(
                UserRegistered(
                    user_id=uuid.uuid4(),
                    email="bench@example.it",
                    tax_code="RSSMRA80A01B963Z",
                    first_name="Mario",
                    last_name="Rossi",
                    registered_at=datetime.now(UTC),
                ),
                correlation_id=uuid.uuid4().hex,
            )
            .model_dump_json()
            .encode()
        )

    async def setup(self) -> None:
        # Publisher and consumer on separate connections, like two services.
        pub = await aio_pika.connect(self.res.amqp_url)
        sub = await aio_pika.connect(self.res.amqp_url)
        self.connections = [pub, sub]
        channel = await pub.channel(publisher_confirms=True)
        self.exchange = await channel.declare_exchange(
            self.res.bare_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        consume_channel = await sub.channel()
        await consume_channel.set_qos(prefetch_count=self.prefetch)
        queue = await consume_channel.declare_queue(
            self.res.bare_queue, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(self.res.bare_exchange, routing_key=self.routing_key)
        await queue.consume(self._on_message)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        await message.ack()
        self.done[message.message_id] = now()

    async def fire(self, i: int) -> None:
        message_id = uuid.uuid4().hex
        self.started[message_id] = now()
        await self.exchange.publish(
            aio_pika.Message(
                self.body,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=message_id,
            ),
            routing_key=self.routing_key,
        )

    async def close(self) -> None:
        for connection in self.connections:
            with contextlib.suppress(Exception):
                await connection.close()
