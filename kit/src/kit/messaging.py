"""The broker connection: one robust aio-pika connection per process, the events exchange,
and publishing with publisher confirms and persistent delivery."""

from __future__ import annotations

import asyncio

import aio_pika
import structlog
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection, AbstractRobustExchange

log = structlog.get_logger(__name__)


class Broker:
    """Owns the connection and a publishing channel.

    aio-pika's robust objects restore themselves after the broker drops the connection, but
    only while something still references them: this object keeps those references.
    """

    def __init__(self, url: str, exchange: str, *, connection_name: str) -> None:
        self.url = url
        self.exchange_name = exchange
        self.connection_name = connection_name
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractRobustChannel | None = None
        self.exchange: AbstractRobustExchange | None = None
        self.connected = asyncio.Event()

    async def connect(self) -> None:
        connection = aio_pika.RobustConnection(
            aio_pika.connection.make_url(self.url),
            client_properties={"connection_name": self.connection_name},
            reconnect_interval=0.5,
        )
        try:
            await connection.connect()
        except BaseException:
            # A cancelled first attempt would otherwise keep reconnecting after shutdown.
            await asyncio.shield(connection.close())
            raise
        self.connection = connection
        self.channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await self.channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self.connected.set()

    async def connect_forever(self, retry_s: float = 1.0) -> None:
        """Initial connection (robust reconnection only begins after a first success)."""
        while True:
            try:
                await self.connect()
                log.info("broker.connected", exchange=self.exchange_name)
                return
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("broker.unavailable", error=str(exc), retry_in_s=retry_s)
                await asyncio.sleep(retry_s)

    @property
    def is_ready(self) -> bool:
        return (
            self.connection is not None
            and not self.connection.is_closed
            and self.channel is not None
            and not self.channel.is_closed
        )

    async def publish(
        self,
        body: bytes,
        *,
        routing_key: str,
        message_id: str,
        correlation_id: str | None,
        event_type: str,
        timeout: float = 10.0,
    ) -> None:
        """Returns once the broker confirmed the message; raises otherwise."""
        if self.exchange is None:
            raise ConnectionError("broker not connected")
        message = aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
            correlation_id=correlation_id,
            type=event_type,
        )
        await self.exchange.publish(message, routing_key=routing_key, timeout=timeout)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
        self.connected.clear()
