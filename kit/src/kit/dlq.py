"""The dead-letter queue of a service: ``python -m <service> dlq list|replay``.

A message lands in ``<queue>.dlq`` when its handler failed on every attempt, or when it could
not be parsed (kit.consumer). Once the cause is fixed (a deployment, a row repaired), ``replay``
moves each message back into the service's own queue through the default exchange: only this
service handles it again (republishing to the events exchange would reach every subscriber),
from its first attempt. The inbox makes a message replayed twice count once.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from aiormq.exceptions import ChannelNotFoundEntity

from contracts import Envelope
from kit.settings import ServiceSettings

ROME = ZoneInfo("Europe/Rome")
# Set by the broker (dead-lettering, quorum queue delivery counts) or by the consumer's retries
# (x-attempt): a replayed message starts afresh without them.
_DELIVERY_HEADERS = ("x-death", "x-first-death-", "x-last-death-", "x-delivery-count", "x-attempt")


@dataclass(frozen=True)
class DeadLetter:
    message_id: str | None
    type: str | None
    routing_key: str | None  # the event's routing key when it was first published
    reason: str | None
    died_at: datetime | None

    @classmethod
    def of(cls, message: AbstractIncomingMessage) -> DeadLetter:
        deaths: Any = (message.headers or {}).get("x-death")
        # The most recent death first: the rejection by the service's queue.
        last = deaths[0] if isinstance(deaths, list) and deaths else {}
        died_at = last.get("time")
        try:
            # Retries travel through the default exchange: only the envelope keeps the key.
            routing_key: str | None = Envelope.model_validate_json(message.body).routing_key
        except ValueError:
            routing_key = None  # unparsable (poison): dead-lettered at once
        return cls(
            message_id=message.message_id,
            type=message.type,
            routing_key=routing_key,
            reason=last.get("reason"),
            died_at=died_at if isinstance(died_at, datetime) else None,
        )

    def line(self) -> str:
        when = self.died_at.astimezone(ROME).strftime("%d/%m/%Y %H:%M:%S") if self.died_at else "?"
        return (
            f"{self.message_id or '-'}  {self.type or '-'}  chiave={self.routing_key or '-'}  "
            f"motivo={self.reason or '-'}  scartato il {when}"
        )


class DlqError(RuntimeError):
    pass


def _fresh_headers(headers: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (headers or {}).items() if not k.startswith(_DELIVERY_HEADERS)}


async def _passive_queue(channel: AbstractChannel, name: str) -> AbstractQueue:
    try:
        return await channel.declare_queue(name, passive=True)
    except ChannelNotFoundEntity:
        raise DlqError(
            f"la coda {name} non esiste (il servizio non è mai partito su questo broker?)"
        ) from None


async def list_dead_letters(amqp_url: str, dead_letter_queue: str, limit: int) -> list[DeadLetter]:
    """The first ``limit`` messages, left where they are: taken unacknowledged, then returned
    to the queue when the channel closes."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await _passive_queue(channel, dead_letter_queue)
        found = []
        while len(found) < limit and (message := await queue.get(no_ack=False, fail=False)) is not None:
            found.append(DeadLetter.of(message))
        await channel.close()
    return found


async def replay_dead_letters(
    amqp_url: str, dead_letter_queue: str, queue_name: str, limit: int
) -> list[DeadLetter]:
    """Moves up to ``limit`` messages to ``queue_name``: each is acknowledged in the DLQ only
    once the broker confirmed its copy (a crash in between leaves a duplicate, which the inbox
    absorbs, never a loss)."""
    connection = await aio_pika.connect(amqp_url)
    moved = []
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        queue = await _passive_queue(channel, dead_letter_queue)
        await _passive_queue(channel, queue_name)
        while len(moved) < limit and (message := await queue.get(no_ack=False, fail=False)) is not None:
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    type=message.type,
                    headers=_fresh_headers(message.headers),
                ),
                routing_key=queue_name,
                mandatory=True,
            )
            await message.ack()
            moved.append(DeadLetter.of(message))
    return moved


def add_dlq_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="dlq_action", required=True)
    listing = actions.add_parser("list", help="mostra i messaggi nella DLQ senza toccarli")
    replay = actions.add_parser("replay", help="rimette i messaggi della DLQ nella coda del servizio")
    replay.add_argument(
        "--dry-run", action="store_true", help="mostra cosa sposterebbe, senza spostare nulla"
    )
    for sub in (listing, replay):
        sub.add_argument("--limit", type=int, default=1000, help="al massimo N messaggi (1000)")


async def run_dlq(settings: ServiceSettings, args: argparse.Namespace, out: TextIO | None = None) -> None:
    out = out or sys.stdout
    dead_letter_queue = f"{settings.queue_name}.dlq"
    if args.limit < 1:
        raise SystemExit("--limit deve essere almeno 1")
    try:
        if args.dlq_action == "list" or args.dry_run:
            letters = await list_dead_letters(settings.amqp_url, dead_letter_queue, args.limit)
            verb = (
                "da rimettere in coda (prova, nulla è stato spostato)"
                if args.dlq_action == "replay"
                else "in DLQ"
            )
        else:
            letters = await replay_dead_letters(
                settings.amqp_url, dead_letter_queue, settings.queue_name, args.limit
            )
            verb = f"rimessi in {settings.queue_name}"
    except DlqError as exc:
        raise SystemExit(f"dlq: {exc}") from None
    for letter in letters:
        print(letter.line(), file=out)
    print(f"{dead_letter_queue}: {len(letters)} messaggi {verb}", file=out)
